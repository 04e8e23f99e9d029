import { defineCommand } from '../command.ts';
import { parseNamespaceArg, requireArg } from '../command-args.ts';

export const orgCreate = defineCommand({
  name: 'org create',
  summary: 'Create a namespace (an organisation) with you as its first member',
  usage: ['org create <name>'],
  async run(ctx) {
    ctx.requireToken();
    const { namespace, host } = await parseNamespaceArg(ctx, requireArg(ctx, 0, 'name', 'org create'));
    await ctx.client().createNamespace(namespace, host);
    return { namespace: `${namespace}@${host}` };
  },
  view: (data) => `Created ${data.namespace}. Invite people with \`ds invite <user> --namespace ${data.namespace}\`.`,
});
