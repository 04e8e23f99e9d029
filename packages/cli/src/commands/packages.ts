import { defineCommand } from '../command.ts';
import { namesOf, parseNamespaceArg } from '../command-args.ts';

export const packages = defineCommand({
  name: 'packages',
  summary: 'List the packages of the registry, or those a namespace owns or maintains',
  usage: ['packages [<namespace>] [--maintained]'],
  options: { maintained: { type: 'boolean', description: 'packages the namespace maintains rather than owns' } },
  async run(ctx) {
    const raw = ctx.args[0];
    if (raw === undefined) return { namespace: null, packages: namesOf(await ctx.client().listPackages()) };
    const { namespace, host } = await parseNamespaceArg(ctx, raw);
    const client = ctx.client();
    const list =
      ctx.options.maintained === true
        ? await client.packagesMaintainedBy(namespace, host)
        : await client.packagesAuthoredBy(namespace, host);
    return { namespace: `${namespace}@${host}`, packages: namesOf(list) };
  },
  view: (data) => (data.packages.length === 0 ? 'No packages.' : data.packages.join('\n')),
});
