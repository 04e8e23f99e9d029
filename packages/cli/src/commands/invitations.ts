import { defineCommand } from '../command.ts';
import { actingNamespace, currentUser, namesOf } from '../command-args.ts';

export const invitations = defineCommand({
  name: 'invitations',
  summary: 'List pending invitations: namespaces for you, packages for a namespace',
  usage: ['invitations [--as <namespace>]'],
  options: { as: { type: 'string', description: 'list package invitations of this namespace (default: your own)' } },
  async run(ctx) {
    const user = await currentUser(ctx);
    const host = await ctx.registryHost();
    const acting = await actingNamespace(ctx);
    const client = ctx.client();
    const [namespaces, packages] = await Promise.all([
      client.listMemberships(user, host, true),
      client.listMaintainerships(acting.namespace, acting.host, true),
    ]);
    return { user, namespaces: namesOf(namespaces), packages: namesOf(packages), as: `${acting.namespace}@${acting.host}` };
  },
  view: (data) => {
    const lines: string[] = [];
    if (data.namespaces.length === 0 && data.packages.length === 0) return 'No pending invitations.';
    for (const ns of data.namespaces) lines.push(`namespace ${ns}: ds accept ${ns}  (or ds decline ${ns})`);
    for (const pkg of data.packages) lines.push(`package ${pkg} for ${data.as}: ds accept ${pkg} --as ${data.as}`);
    return lines.join('\n');
  },
});
