import { defineCommand } from '../command.ts';
import { currentUser, namesOf, parseNamespaceArg } from '../command-args.ts';

export const maintainerships = defineCommand({
  name: 'maintainerships',
  summary: 'List the packages a namespace maintains and, for a user, their namespaces',
  usage: ['maintainerships [<namespace>]'],
  async run(ctx) {
    const raw = ctx.args[0] ?? (await currentUser(ctx));
    const { namespace, host } = await parseNamespaceArg(ctx, raw);
    const client = ctx.client();
    const [packages, memberships] = await Promise.all([
      client.listMaintainerships(namespace, host),
      client.listMemberships(namespace, host).catch(() => []),
    ]);
    return { namespace: `${namespace}@${host}`, packages: namesOf(packages), namespaces: namesOf(memberships) };
  },
  view: (data) =>
    [
      `${data.namespace} maintains ${data.packages.length} package${data.packages.length === 1 ? '' : 's'}:`,
      ...data.packages.map((p) => `  ${p}`),
      ...(data.namespaces.length > 0 ? [`member of: ${data.namespaces.join(', ')}`] : []),
    ].join('\n'),
});
