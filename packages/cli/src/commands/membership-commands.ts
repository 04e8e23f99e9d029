import type { CliContext } from '../cli-context.ts';
import { defineCommand } from '../command.ts';
import { actingNamespace, currentUser, parseNamespaceArg, requireArg } from '../command-args.ts';
import { parsePackageSpec } from '../parse-package-spec.ts';

type Action = 'accept' | 'decline' | 'leave';

/**
 * accept / decline / leave share one shape: a namespace argument acts on your membership, a
 * package argument acts on a namespace's maintainership (`--as`, default your own namespace).
 */
async function act(ctx: CliContext, action: Action) {
  const raw = requireArg(ctx, 0, 'namespace or package', action);
  const client = ctx.client();
  if (raw.includes('/')) {
    const spec = parsePackageSpec(raw, await ctx.registryHost());
    const as = await actingNamespace(ctx);
    if (action === 'accept') await client.acceptMaintainership(as.namespace, as.host, spec.ref);
    else await client.declineMaintainership(as.namespace, as.host, spec.ref);
    return { action, kind: 'package' as const, subject: spec.canonical, as: `${as.namespace}@${as.host}` };
  }
  const user = await currentUser(ctx);
  const host = await ctx.registryHost();
  const { namespace, host: nsHost } = await parseNamespaceArg(ctx, raw);
  if (action === 'accept') await client.acceptMembership(user, host, namespace);
  else await client.declineMembership(user, host, namespace);
  return { action, kind: 'namespace' as const, subject: `${namespace}@${nsHost}`, as: user };
}

const VERB: Record<Action, (d: { kind: 'package' | 'namespace'; subject: string; as: string }) => string> = {
  accept: (d) => (d.kind === 'package' ? `${d.as} now maintains ${d.subject}.` : `You are now a member of ${d.subject}.`),
  decline: (d) => (d.kind === 'package' ? `${d.as} declined to maintain ${d.subject}.` : `Declined the invitation to ${d.subject}.`),
  leave: (d) => (d.kind === 'package' ? `${d.as} no longer maintains ${d.subject}.` : `You left ${d.subject}.`),
};

const asOption = { as: { type: 'string' as const, description: 'the namespace acting on a package (default: your own)' } };

export const accept = defineCommand({
  name: 'accept',
  summary: 'Accept an invitation to a namespace, or to maintain a package',
  usage: ['accept <namespace>', 'accept <package> [--as <namespace>]'],
  options: asOption,
  run: (ctx) => act(ctx, 'accept'),
  view: (data) => VERB.accept(data),
});

export const decline = defineCommand({
  name: 'decline',
  summary: 'Decline an invitation to a namespace, or to maintain a package',
  usage: ['decline <namespace>', 'decline <package> [--as <namespace>]'],
  options: asOption,
  run: (ctx) => act(ctx, 'decline'),
  view: (data) => VERB.decline(data),
});

export const leave = defineCommand({
  name: 'leave',
  summary: 'Leave a namespace, or stop maintaining a package',
  usage: ['leave <namespace>', 'leave <package> [--as <namespace>]'],
  options: asOption,
  run: (ctx) => act(ctx, 'leave'),
  view: (data) => VERB.leave(data),
});
