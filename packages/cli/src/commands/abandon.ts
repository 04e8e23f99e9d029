import { cliError } from '../cli-error.ts';
import { defineCommand } from '../command.ts';
import { specArg } from '../command-args.ts';

export const abandon = defineCommand({
  name: 'abandon',
  summary: 'Abandon a package: yank every version and hand it to abandonware',
  usage: ['abandon <package> --yes'],
  options: { yes: { type: 'boolean', description: 'confirm; this cannot be undone' } },
  async run(ctx) {
    ctx.requireToken();
    const spec = await specArg(ctx, 0, 'abandon');
    if (ctx.options.yes !== true)
      throw cliError('USAGE', `Abandoning ${spec.canonical} cannot be undone.`, `Run \`ds abandon ${ctx.args[0]} --yes\` to confirm.`);
    await ctx.client().abandon(spec.ref);
    return { package: spec.canonical };
  },
  view: (data) => `Abandoned ${data.package}.`,
});
