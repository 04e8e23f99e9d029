import { defineCommand } from '../command.ts';
import { type InstallResult, installProject } from '../install-project.ts';

function formatBytes(n: number): string {
  return n < 1024 * 1024 ? `${(n / 1024).toFixed(1)} KiB` : `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

/** Dependencies whose scripts did not run, and the command that allows them. */
export function blockedLines(data: Pick<InstallResult, 'scripts'>): string[] {
  const blocked = data.scripts.blocked;
  if (blocked.length === 0) return [];
  const names = [...new Set(blocked.map((b) => b.name))];
  return [
    `${blocked.length} dependenc${blocked.length === 1 ? 'y has' : 'ies have'} install scripts that did not run (not in trustedDependencies):`,
    ...blocked.map((b) => `  ${b.name}@${b.version}  ${b.scripts.map(([event, script]) => `${event}: ${script.slice(0, 80)}`).join('; ')}`),
    `Allow them with: ds trust ${names.join(' ')}`,
  ];
}

export const install = defineCommand<InstallResult>({
  name: 'install',
  aliases: ['i', 'add'],
  summary: "Install the project's dependencies (and add new ones) into node_modules",
  usage: [
    'install [<package>[@<range|tag>] …] [--save-dev] [--frozen-lockfile] [--offline] [--engine-strict] [--ignore-scripts] [--origin]',
  ],
  options: {
    'save-dev': { type: 'boolean', short: 'D', description: 'add the packages to devDependencies' },
    'frozen-lockfile': { type: 'boolean', description: 'fail instead of changing Package.lock' },
    offline: { type: 'boolean', description: 'use only the local cache; never contact the registry' },
    'engine-strict': {
      type: 'boolean',
      description: 'refuse a package whose engines.node does not fit this Node (default: warn and install it, as npm)',
    },
    'ignore-scripts': { type: 'boolean', description: "run no lifecycle script: neither the project's nor any dependency's" },
    'prefer-offline': { type: 'boolean', description: 'use cached package metadata without revalidating it' },
    cache: { type: 'string', description: 'cache directory (default $XDG_CACHE_HOME/entropic or ~/.cache/entropic)' },
    origin: {
      type: 'boolean',
      description: "fetch packages of other hosts (ns@otherhost/pkg) from their origin, at the URL the registry's /-/v1/host names",
    },
  },
  details: [
    'Resolves the highest non-yanked version satisfying each range (one not deprecated first, as',
    'npm; a deprecated one installed is warned about), or the version a tag names; verifies every',
    'link package → version → file against its sha512 integrity, downloads into a',
    'content-addressed cache shared by all projects, writes node_modules (ns@host/pkg at',
    'node_modules/@ns/pkg, npm packages under their own name) and Package.lock. An unchanged',
    'Package.lock is reused without asking the registry for metadata.',
    '',
    'Signatures: every package document fetched must be signed by its host (ns@host/…) with a key',
    "pinned in the cache, learned through the registry's /-/v1/host (its own keys and those it pinned",
    'for the hosts it federates with); a bad signature, or a version whose integrity changed since the',
    'cache first saw it, stops the install (exit 9) before anything is written. --origin fetches',
    'packages of other hosts from their origin instead, checked the same way.',
    '',
    "Scripts: the project's own preinstall, install, postinstall, prepare run as npm runs them;",
    "a dependency's install scripts run only when the manifest's trustedDependencies names it",
    '(`name`, `name@<range>` or `name@<integrity>`; `ds trust <name>` adds it). Optional',
    'dependencies whose os/cpu/libc do not fit this machine are skipped.',
  ].join('\n'),
  run: (ctx) =>
    installProject(ctx, {
      specs: ctx.args,
      frozenLockfile: ctx.options['frozen-lockfile'] === true,
      offline: ctx.options.offline === true,
      preferOffline: ctx.options['prefer-offline'] === true,
      saveDev: ctx.options['save-dev'] === true,
      engineStrict: ctx.options['engine-strict'] === true,
      ignoreScripts: ctx.options['ignore-scripts'] === true,
      fromOrigin: ctx.options.origin === true,
    }),
  view(data) {
    const lines = data.added.map((a) => `+ ${a.name}@${a.version}`);
    if (data.upToDate) {
      lines.push(`Already up to date (${data.packages.length} packages, Package.lock reused) in ${data.durationMs} ms.`);
    } else {
      lines.push(
        `Installed ${data.packages.length} package${data.packages.length === 1 ? '' : 's'} (${data.files} files, ${data.bins} bins) in ${data.durationMs} ms; ` +
          `downloaded ${data.downloaded} object${data.downloaded === 1 ? '' : 's'} (${formatBytes(data.downloadedBytes)}); Package.lock ${data.lockfile}.`,
      );
    }
    if (data.scripts.ran.length > 0) {
      lines.push(`Ran the install scripts of ${data.scripts.ran.map((r) => `${r.name}@${r.version}`).join(', ')}.`);
    }
    lines.push(...blockedLines(data));
    return lines.join('\n');
  },
});
