import { cliError } from '../cli-error.ts';
import { defineCommand } from '../command.ts';
import { type InstallResult, installProject } from '../install-project.ts';
import { getProjectManifest, saveField } from '../project-manifest.ts';
import { blockedLines } from './install.ts';

export const trust = defineCommand<InstallResult & { trusted: string[] }>({
  name: 'trust',
  summary: "Allow dependencies' install scripts (trustedDependencies), then install",
  usage: ['trust <name>[@<range>|@<integrity>] …'],
  details: [
    "Adds each entry to the manifest's trustedDependencies (Package.toml or package.json) and runs",
    '`ds install`, which runs the install scripts of the dependencies it now allows. An entry is the',
    'name as the manifest writes dependencies (`esbuild`, `ns/pkg`, `ns@host/pkg`), optionally',
    'followed by @<version range> or @<integrity of the version> to allow only those.',
  ].join('\n'),
  async run(ctx) {
    if (ctx.args.length === 0) throw cliError('USAGE', 'Name at least one dependency to trust.', 'Run `ds trust --help`.');
    const manifest = await getProjectManifest(ctx.io.cwd);
    const trusted = [...new Set([...manifest.trustedDependencies, ...ctx.args])].sort();
    await saveField(manifest, 'trustedDependencies', trusted);
    const result = await installProject(ctx, { specs: [], frozenLockfile: false, offline: false, preferOffline: false, saveDev: false });
    return { ...result, trusted };
  },
  view(data) {
    const lines = [`trustedDependencies: ${data.trusted.join(', ')}`];
    if (data.scripts.ran.length > 0)
      lines.push(`Ran the install scripts of ${data.scripts.ran.map((r) => `${r.name}@${r.version}`).join(', ')}.`);
    else lines.push('No newly allowed dependency has install scripts.');
    lines.push(...blockedLines(data));
    return lines.join('\n');
  },
});
