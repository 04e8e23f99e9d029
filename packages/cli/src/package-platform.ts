/** A package's `os`, `cpu` and `libc` fields (npm's platform constraints). */
export interface PlatformFields {
  os?: string[];
  cpu?: string[];
  libc?: string[];
}

export interface Platform {
  os: string;
  cpu: string;
  /** `glibc` or `musl` on Linux, else undefined */
  libc: string | undefined;
}

function list(value: unknown): string[] | undefined {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) {
    const out = value.filter((v): v is string => typeof v === 'string');
    return out.length > 0 ? out : undefined;
  }
  return undefined;
}

/** The platform fields of a package.json, or undefined when it has none. */
export function platformFields(pkg: Record<string, unknown>): PlatformFields | undefined {
  const out: PlatformFields = {};
  for (const field of ['os', 'cpu', 'libc'] as const) {
    const value = list(pkg[field]);
    if (value) out[field] = value;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

let current: Platform | undefined;

/** This machine, as npm sees it (libc from the process report: glibc when it names a glibc runtime). */
export function currentPlatform(): Platform {
  if (!current) {
    let libc: string | undefined;
    if (process.platform === 'linux') {
      const header = (process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined)?.header;
      libc = header?.glibcVersionRuntime ? 'glibc' : 'musl';
    }
    current = { os: process.platform, cpu: process.arch, libc };
  }
  return current;
}

/** npm-install-checks' rule for one field: `!x` excludes x; any positive entry must match (`any` matches all). */
function fieldFits(wanted: string[] | undefined, actual: string | undefined): boolean {
  if (!wanted || wanted.length === 0) return true;
  if (actual === undefined) return true;
  if (wanted.includes(`!${actual}`)) return false;
  const positive = wanted.filter((w) => !w.startsWith('!'));
  return positive.length === 0 || positive.includes(actual) || positive.includes('any');
}

/** Whether a package with these fields installs on `platform` (this machine by default). */
export function platformFits(fields: PlatformFields | undefined, platform: Platform = currentPlatform()): boolean {
  if (!fields) return true;
  return fieldFits(fields.os, platform.os) && fieldFits(fields.cpu, platform.cpu) && fieldFits(fields.libc, platform.libc);
}

export function describePlatform(fields: PlatformFields): string {
  return (['os', 'cpu', 'libc'] as const)
    .filter((f) => fields[f])
    .map((f) => `${f} ${JSON.stringify(fields[f])}`)
    .join(', ');
}
