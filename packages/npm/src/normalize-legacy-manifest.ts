type Json = Record<string, unknown>;

const DEPENDENCY_FIELDS = ['dependencies', 'devDependencies', 'peerDependencies', 'optionalDependencies'] as const;

function isObject(value: unknown): value is Json {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * Dependencies in the shapes old packages used, as npm's normalize-package-data reads them: an
 * array (or a whitespace/comma separated string) of `name`, `name@range` or `name range` → a
 * map (no range is `*`); anything else that is not an object → none.
 */
function dependencyMap(value: unknown): Json | undefined {
  if (value === undefined || value === null) return undefined;
  if (isObject(value)) return value;
  const list = typeof value === 'string' ? value.trim().split(/[\s,]+/) : Array.isArray(value) ? value : [];
  const out: Json = {};
  for (const item of list) {
    if (typeof item !== 'string' || item.trim() === '') continue;
    const trimmed = item.trim();
    // `@scope/name@range`: the version separator is the first `@` or space after the name's own
    const match = /^(@?[^@\s<>=]+)[@\s]*(.*)$/.exec(trimmed);
    if (!match?.[1]) continue;
    out[match[1]] = match[2]?.trim() || '*';
  }
  return out;
}

/** `"engines": ["node >= 0.4"]` (old packages) → `{ "node": ">= 0.4" }`. */
function engines(value: unknown): Json | undefined {
  if (isObject(value)) return value;
  if (!Array.isArray(value)) return undefined;
  const out: Json = {};
  for (const item of value) {
    if (typeof item !== 'string') continue;
    const match = /^\s*([a-zA-Z][\w.-]*)\s*(.*)$/.exec(item);
    if (match?.[1]) out[match[1]] = match[2]?.trim() || '*';
  }
  return out;
}

/**
 * A manifest from the upstream registry in the legacy shapes npm still installs, normalised to
 * the shapes the rest of Entropic reads (as npm's normalize-package-data does): array or string
 * dependency lists become maps, a string `bin` is `{ <name>: <path> }`, a string `man` a list,
 * array `engines` a map; `directories`, `scripts`, `bundleDependencies` of a wrong type are dropped.
 * Used for mirrored versions only: `npm publish` to Entropic keeps refusing these shapes.
 */
export function normalizeLegacyManifest(npmName: string, manifest: Json): Json {
  const out: Json = { ...manifest };
  for (const field of DEPENDENCY_FIELDS) {
    const map = dependencyMap(manifest[field]);
    if (map === undefined) delete out[field];
    else out[field] = map;
  }
  if (typeof manifest.bin === 'string') out.bin = { [npmName.replace(/^@[^/]+\//, '')]: manifest.bin };
  else if (manifest.bin !== undefined && !isObject(manifest.bin)) delete out.bin;
  if (typeof manifest.man === 'string') out.man = [manifest.man];
  else if (manifest.man !== undefined && !Array.isArray(manifest.man)) delete out.man;
  const engineMap = engines(manifest.engines);
  if (engineMap === undefined) delete out.engines;
  else out.engines = engineMap;
  for (const field of ['directories', 'scripts'] as const)
    if (manifest[field] !== undefined && !isObject(manifest[field])) delete out[field];
  for (const field of ['bundleDependencies', 'bundledDependencies'] as const) {
    const value = manifest[field];
    if (value !== undefined && value !== true && value !== false && !Array.isArray(value)) delete out[field];
  }
  return out;
}
