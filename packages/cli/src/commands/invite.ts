import { cliError } from '../cli-error.ts';
import { defineCommand } from '../command.ts';
import { parseNamespaceArg, requireArg, stringOption } from '../command-args.ts';
import { parsePackageSpec } from '../parse-package-spec.ts';

export const invite = defineCommand({
  name: 'invite',
  summary: 'Invite a user to a namespace, or a namespace to maintain a package',
  usage: ['invite <user> --namespace <namespace>', 'invite <namespace> --package <package>'],
  options: {
    namespace: { type: 'string', description: 'the namespace (organisation) to invite a user to' },
    package: { type: 'string', description: 'the package to invite a namespace to maintain' },
  },
  async run(ctx) {
    ctx.requireToken();
    const invitee = requireArg(ctx, 0, 'invitee', 'invite');
    const toNamespace = stringOption(ctx, 'namespace');
    const toPackage = stringOption(ctx, 'package');
    if ((toNamespace === undefined) === (toPackage === undefined)) {
      throw cliError('USAGE', 'Give exactly one of --namespace or --package.', 'Run `ds invite --help`.');
    }
    const client = ctx.client();
    if (toPackage !== undefined) {
      const spec = parsePackageSpec(toPackage, await ctx.registryHost());
      const result = await client.inviteMaintainer(spec.ref, invitee);
      return { invitee, to: spec.canonical, message: result.message ?? `Invited ${invitee} to maintain ${spec.canonical}.` };
    }
    const { namespace, host } = await parseNamespaceArg(ctx, toNamespace as string);
    const result = await client.inviteMember(namespace, host, invitee);
    return { invitee, to: `${namespace}@${host}`, message: result.message ?? `Invited ${invitee} to ${namespace}@${host}.` };
  },
  view: (data) => data.message,
});
