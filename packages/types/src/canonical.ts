import { createHash } from 'node:crypto';
import type { Integrity } from './names.ts';
import type { DependencyMap } from './wire.ts';

export interface CanonicalVersionInput {
  files: Record<string, string>;
  dependencies: DependencyMap;
  devDependencies: DependencyMap;
  peerDependencies: DependencyMap;
  optionalDependencies: DependencyMap;
  bundledDependencies: DependencyMap;
}

/** Keys sorted by UTF-16 code unit order (the default sort), whatever the input order. */
function sorted(map: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  // Integer-like keys would be reordered by the JS engine; none can occur in paths ("./…")
  // or canonical dependency names ("ns@host/…"), which is why this is safe.
  for (const key of Object.keys(map).sort()) out[key] = map[key] as string;
  return out;
}

/** The canonical version document of API.md §5: its bytes are hashed and stored as a blob. */
export function canonicalVersionDocument(input: CanonicalVersionInput): string {
  return JSON.stringify({
    files: sorted(input.files),
    dependencies: sorted(input.dependencies),
    devDependencies: sorted(input.devDependencies),
    peerDependencies: sorted(input.peerDependencies),
    optionalDependencies: sorted(input.optionalDependencies),
    bundledDependencies: sorted(input.bundledDependencies),
  });
}

export function sha512Integrity(data: string | Uint8Array): Integrity {
  return `sha512-${createHash('sha512').update(data).digest('base64')}` as Integrity;
}

const INTEGRITY_RE = /^sha512-([A-Za-z0-9+/]{86}==)$/;

export function isIntegrity(value: string): value is Integrity {
  return INTEGRITY_RE.test(value);
}

/** `sha512-<base64>` → hex digest (used for storage paths). */
export function integrityToHex(integrity: Integrity): string {
  return Buffer.from(integrity.slice('sha512-'.length), 'base64').toString('hex');
}

export function hexToIntegrity(hex: string): Integrity {
  return `sha512-${Buffer.from(hex, 'hex').toString('base64')}` as Integrity;
}
