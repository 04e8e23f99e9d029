import { cliError } from '../cli-error.ts';
import { defineCommand } from '../command.ts';
import { requireArg, specArg } from '../command-args.ts';
import { isTag } from '../parse-package-spec.ts';

export const tagAdd = defineCommand({
  name: 'tag add',
  summary: 'Point a dist-tag at a version',
  usage: ['tag add <package>@<version> [<tag>]   (tag defaults to latest)'],
  async run(ctx) {
    ctx.requireToken();
    const spec = await specArg(ctx, 0, 'tag add');
    if (!spec.explicitRange || isTag(spec.range))
      throw cliError('USAGE', 'Name the exact version: <package>@<version>.', 'Example: ds tag add alice/pkg@1.2.0 beta');
    const tag = ctx.args[1] ?? 'latest';
    await ctx.client().setTag(spec.ref, tag, spec.range);
    return { package: spec.canonical, tag, version: spec.range };
  },
  view: (data) => `+${data.tag}: ${data.package}@${data.version}`,
});

export const tagRm = defineCommand({
  name: 'tag rm',
  aliases: ['tag remove'],
  summary: 'Remove a dist-tag',
  usage: ['tag rm <package> <tag>'],
  async run(ctx) {
    ctx.requireToken();
    const spec = await specArg(ctx, 0, 'tag rm');
    const tag = requireArg(ctx, 1, 'tag', 'tag rm');
    await ctx.client().removeTag(spec.ref, tag);
    return { package: spec.canonical, tag };
  },
  view: (data) => `-${data.tag}: ${data.package}`,
});

export const tagLs = defineCommand({
  name: 'tag ls',
  aliases: ['tag list'],
  summary: 'List the dist-tags of a package',
  usage: ['tag ls <package>'],
  async run(ctx) {
    const spec = await specArg(ctx, 0, 'tag ls');
    return { package: spec.canonical, tags: await ctx.client().getTags(spec.ref) };
  },
  view: (data) =>
    Object.entries(data.tags)
      .map(([tag, version]) => `${tag}: ${version}`)
      .join('\n') || 'No tags.',
});
