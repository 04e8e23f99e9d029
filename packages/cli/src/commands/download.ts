import { defineCommand } from '../command.ts';
import { specArg } from '../command-args.ts';
import { createPackageSource } from '../package-source.ts';

export const download = defineCommand({
  name: 'download',
  summary: 'Fetch a package version and its files into the local cache, verified',
  usage: ['download <package>[@<range|tag>]'],
  options: {
    offline: { type: 'boolean', description: 'check the cache only' },
    cache: { type: 'string', description: 'cache directory' },
  },
  async run(ctx) {
    const spec = await specArg(ctx, 0, 'download');
    const source = createPackageSource(ctx, { offline: ctx.options.offline === true });
    const { document: pkg, version } = await source.pick(spec, true);
    const integrity = pkg.versions[version] as string;
    const what = `${spec.canonical}@${version}`;
    const document = await source.getDocument(integrity, what);
    const files = Object.entries(document.files);
    ctx.progress.phase('fetch', files.length);
    await Promise.all(
      files.map(([key, fileIntegrity]) => source.ensureObject(fileIntegrity, `${what}/${key.slice(2)}`).then(() => ctx.progress.tick())),
    );
    return {
      name: spec.canonical,
      version,
      integrity,
      files: files.length,
      downloaded: source.stats.downloaded,
      cache: ctx.cache().root,
    };
  },
  view: (data) => `${data.name}@${data.version} (${data.files} files, ${data.downloaded} downloaded) is in ${data.cache}`,
});
