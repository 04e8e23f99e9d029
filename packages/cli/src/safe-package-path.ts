import { cliError } from './cli-error.ts';

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what is refused
const CONTROL_RE = /[\u0000-\u001f\u007f]/;

/**
 * The path of a file inside its package directory, from a version document key such as
 * `./package/lib/index.js` (the first segment, the archive root, is dropped as npm does).
 * Anything that could escape the package directory is refused: the registry is not trusted.
 */
export function safePackagePath(key: string, what: string): string {
  const unsafe = () =>
    cliError(
      'UNSAFE_PATH',
      `${what} contains an unsafe file path "${key.slice(0, 80)}".`,
      'Nothing was installed from it; report the package to the registry operator.',
    );
  if (!key.startsWith('./') || key.length > 1024 || key.includes('\\') || CONTROL_RE.test(key)) throw unsafe();
  const segments = key.slice(2).split('/');
  if (segments.length < 2) throw unsafe();
  const inner = segments.slice(1);
  for (const segment of inner) {
    if (segment === '' || segment === '.' || segment === '..') throw unsafe();
  }
  return inner.join('/');
}
