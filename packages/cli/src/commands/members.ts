import { defineCommand } from '../command.ts';
import { namesOf, parseNamespaceArg, requireArg } from '../command-args.ts';
import { parsePackageSpec } from '../parse-package-spec.ts';

export const members = defineCommand({
  name: 'members',
  summary: 'List the members of a namespace, or the maintainers of a package',
  usage: ['members <namespace>', 'members <package>'],
  async run(ctx) {
    const raw = requireArg(ctx, 0, 'namespace or package', 'members');
    const client = ctx.client();
    if (raw.includes('/')) {
      const spec = parsePackageSpec(raw, await ctx.registryHost());
      return { of: spec.canonical, kind: 'package' as const, members: namesOf(await client.listMaintainers(spec.ref)) };
    }
    const { namespace, host } = await parseNamespaceArg(ctx, raw);
    return { of: `${namespace}@${host}`, kind: 'namespace' as const, members: namesOf(await client.listMembers(namespace, host)) };
  },
  view: (data) =>
    [
      `${data.of} has ${data.members.length} ${data.kind === 'package' ? 'maintainer' : 'member'}${data.members.length === 1 ? '' : 's'}:`,
      ...data.members.map((m) => `  ${m}`),
    ].join('\n'),
});
