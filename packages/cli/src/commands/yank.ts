import { cliError } from '../cli-error.ts';
import { defineCommand } from '../command.ts';
import { specArg } from '../command-args.ts';
import { isTag } from '../parse-package-spec.ts';

export const yank = defineCommand({
  name: 'yank',
  summary: 'Yank a version (final): it stays fetchable by exact version but is never resolved again',
  usage: ['yank <package>@<version>'],
  async run(ctx) {
    ctx.requireToken();
    const spec = await specArg(ctx, 0, 'yank');
    if (!spec.explicitRange || isTag(spec.range))
      throw cliError('USAGE', 'Name the exact version to yank: <package>@<version>.', 'Example: ds yank alice/pkg@1.0.1');
    await ctx.client().yank(spec.ref, spec.range);
    return { package: spec.canonical, version: spec.range };
  },
  view: (data) => `Yanked ${data.package}@${data.version}.`,
});
