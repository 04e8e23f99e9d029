import { appError, truncate } from '@entropic/types';

const MAX_PATH_BYTES = 1024;
// C0 and C1 control characters, DEL
// biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting them is the point
const CONTROL_RE = /[\u0000-\u001f\u007f-\u009f]/;

/**
 * Turns a multipart filename (`encodeURIComponent("package/" + path)`) into the stored path
 * `./package/<path>`, refusing anything that could escape or confuse an install directory.
 */
export function parseFilePath(filename: string): string {
  let decoded: string;
  try {
    decoded = decodeURIComponent(filename);
  } catch {
    throw appError('INVALID_PATH', `The file name "${truncate(filename)}" is not correctly percent-encoded.`);
  }
  const problem = pathProblem(decoded);
  if (problem) throw appError('INVALID_PATH', `The file path "${truncate(JSON.stringify(decoded))}" is not allowed: ${problem}.`);
  return `./${decoded}`;
}

function pathProblem(path: string): string | undefined {
  if (path.length === 0) return 'it is empty';
  if (Buffer.byteLength(path) > MAX_PATH_BYTES) return `it is longer than ${MAX_PATH_BYTES} bytes`;
  if (CONTROL_RE.test(path)) return 'it contains control characters';
  if (path.includes('\\')) return 'it contains a backslash';
  if (path.startsWith('/')) return 'it is absolute';
  if (/^[a-zA-Z]:/.test(path)) return 'it is absolute';
  const segments = path.split('/');
  if (segments[0] !== 'package') return 'it must start with "package/"';
  if (segments.length < 2) return 'it names no file';
  for (const segment of segments) {
    if (segment === '') return 'it has an empty segment';
    if (segment === '.' || segment === '..') return 'it has a "." or ".." segment';
  }
  return undefined;
}

/** Two paths that differ only by case or Unicode normalisation collide on many file systems. */
export function collisionKey(path: string): string {
  return path.normalize('NFC').toLowerCase();
}

const README_RE = /^\.\/package\/readme(\.md|\.markdown)?$/i;

/** Root README candidates, best first: README.md, README.markdown, README. */
export function readmeRank(path: string): number | undefined {
  const match = README_RE.exec(path);
  if (!match) return undefined;
  const ext = (match[1] ?? '').toLowerCase();
  return ext === '.md' ? 0 : ext === '.markdown' ? 1 : 2;
}
