import type { BulkAdvisory } from '@entropic/client';
import semver from 'semver';
import { cliError } from '../cli-error.ts';
import { defineCommand } from '../command.ts';
import { stringOption } from '../command-args.ts';
import { EXIT } from '../exit-code-for.ts';
import { LOCKFILE_NAME, readLockfile } from '../package-lockfile.ts';
import { findProjectManifest } from '../project-manifest.ts';

const LEVELS = ['info', 'low', 'moderate', 'high', 'critical'] as const;
type Level = (typeof LEVELS)[number];

export interface AuditFinding {
  /** the npm name (what node_modules holds it under) */
  name: string;
  /** the installed versions it affects */
  versions: string[];
  /** install paths of those versions */
  paths: string[];
  advisory: BulkAdvisory;
}

export interface AuditResult {
  audited: number;
  level: Level;
  findings: AuditFinding[];
  /** findings at or above `level`: when any, ds exits with status 14 */
  failing: number;
}

const rank = (severity: string) => LEVELS.indexOf(severity as Level);

/** `node_modules/a/node_modules/@s/b` → `@s/b`: the name node resolves it by, which is its npm name. */
function npmNameOfPath(path: string): string {
  const at = path.lastIndexOf('node_modules/');
  return path.slice(at + 'node_modules/'.length);
}

export const audit = defineCommand<AuditResult>({
  name: 'audit',
  summary: 'Report the security advisories that affect the packages in Package.lock',
  usage: ['audit [--audit-level <info|low|moderate|high|critical>]'],
  options: {
    'audit-level': {
      type: 'string',
      description: 'exit with status 14 when an advisory at or above this level affects a package (default: info, any)',
    },
  },
  details: [
    'Asks the registry the question npm audit asks (POST /-/npm/v1/security/advisories/bulk) for every',
    'package and version in Package.lock: advisories for npm packages come from the upstream registry,',
    "those of this registry's packages from their maintainers (ds advisory add).",
  ].join('\n'),
  async run(ctx) {
    const level = (stringOption(ctx, 'audit-level') ?? 'info') as Level;
    if (!LEVELS.includes(level)) throw cliError('USAGE', `--audit-level must be one of ${LEVELS.join(', ')}.`);
    const dir = (await findProjectManifest(ctx.io.cwd))?.dir ?? ctx.io.cwd;
    const lock = await readLockfile(dir);
    if (!lock) throw cliError('MANIFEST_NOT_FOUND', `No ${LOCKFILE_NAME} in ${dir}.`, 'Run `ds install` first.');
    const installed = new Map<string, Map<string, string[]>>();
    for (const [path, locked] of Object.entries(lock.packages)) {
      const name = npmNameOfPath(path);
      const versions = installed.get(name) ?? new Map<string, string[]>();
      versions.set(locked.version, [...(versions.get(locked.version) ?? []), path]);
      installed.set(name, versions);
    }
    const query = Object.fromEntries([...installed].map(([name, versions]) => [name, [...versions.keys()]]));
    const answer = Object.keys(query).length === 0 ? {} : await ctx.client().auditBulk(query);
    const findings: AuditFinding[] = [];
    for (const [name, advisories] of Object.entries(answer)) {
      const versions = installed.get(name);
      if (!versions || !Array.isArray(advisories)) continue;
      for (const advisory of advisories) {
        const hit = [...versions].filter(([v]) => satisfies(v, advisory.vulnerable_versions));
        if (hit.length === 0) continue;
        findings.push({ name, versions: hit.map(([v]) => v), paths: hit.flatMap(([, p]) => p), advisory });
      }
    }
    findings.sort((a, b) => rank(b.advisory.severity) - rank(a.advisory.severity) || a.name.localeCompare(b.name));
    const failing = findings.filter((f) => rank(f.advisory.severity) >= rank(level)).length;
    return { audited: Object.keys(lock.packages).length, level, findings, failing };
  },
  exitCode: (data) => (data.failing > 0 ? EXIT.VULNERABLE : EXIT.OK),
  view: (data) => {
    if (data.findings.length === 0) return `found 0 vulnerabilities in ${data.audited} packages`;
    const lines = data.findings.map(
      (f) =>
        `${f.advisory.severity.padEnd(8)}  ${f.name}@${f.versions.join(', ')}  ${f.advisory.title}\n` +
        `          vulnerable: ${f.advisory.vulnerable_versions}  ${f.advisory.url}\n          at ${f.paths.join(', ')}`,
    );
    const counts = LEVELS.map((l) => [l, data.findings.filter((f) => f.advisory.severity === l).length] as const)
      .filter(([, n]) => n > 0)
      .map(([l, n]) => `${n} ${l}`);
    return `${lines.join('\n')}\n\n${data.findings.length} vulnerabilities (${counts.join(', ')}) in ${data.audited} packages`;
  },
});

function satisfies(version: string, range: string): boolean {
  try {
    return semver.satisfies(version, range, { includePrerelease: true });
  } catch {
    return false;
  }
}
