import { defineCommand } from '../command.ts';
import { type InstallResult, installProject } from '../install-project.ts';

function formatBytes(n: number): string {
  return n < 1024 * 1024 ? `${(n / 1024).toFixed(1)} KiB` : `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

export const install = defineCommand<InstallResult>({
  name: 'install',
  aliases: ['i', 'add'],
  summary: "Install the project's dependencies (and add new ones) into node_modules",
  usage: ['install [<package>[@<range|tag>] …] [--save-dev] [--frozen-lockfile] [--offline] [--engine-strict]'],
  options: {
    'save-dev': { type: 'boolean', short: 'D', description: 'add the packages to devDependencies' },
    'frozen-lockfile': { type: 'boolean', description: 'fail instead of changing Package.lock' },
    offline: { type: 'boolean', description: 'use only the local cache; never contact the registry' },
    'engine-strict': {
      type: 'boolean',
      description: 'refuse a package whose engines.node does not fit this Node (default: warn and install it, as npm)',
    },
    'prefer-offline': { type: 'boolean', description: 'use cached package metadata without revalidating it' },
    cache: { type: 'string', description: 'cache directory (default $XDG_CACHE_HOME/entropic or ~/.cache/entropic)' },
  },
  details: [
    'Resolves the highest non-yanked version satisfying each range (one not deprecated first, as',
    'npm; a deprecated one installed is warned about), or the version a tag names; verifies every',
    'link package → version → file against its sha512 integrity, downloads into a',
    'content-addressed cache shared by all projects, writes node_modules (ns@host/pkg at',
    'node_modules/@ns/pkg, npm packages under their own name) and Package.lock. An unchanged',
    'Package.lock is reused without asking the registry for metadata.',
  ].join('\n'),
  run: (ctx) =>
    installProject(ctx, {
      specs: ctx.args,
      frozenLockfile: ctx.options['frozen-lockfile'] === true,
      offline: ctx.options.offline === true,
      preferOffline: ctx.options['prefer-offline'] === true,
      saveDev: ctx.options['save-dev'] === true,
      engineStrict: ctx.options['engine-strict'] === true,
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
    return lines.join('\n');
  },
});
