import type { CliContext } from '../cli-context.ts';
import { cliError } from '../cli-error.ts';
import { defineCommand } from '../command.ts';
import { parseNamespaceArg, requireArg, specArg, stringOption } from '../command-args.ts';

/** `ns:team` (npm writes `@ns:team`; both are accepted). */
async function teamArg(ctx: CliContext, index: number, command: string) {
  const raw = requireArg(ctx, index, 'namespace:team', command).replace(/^@/, '');
  const colon = raw.indexOf(':');
  if (colon <= 0 || colon === raw.length - 1) {
    throw cliError('USAGE', `"${raw}" is not a team: write namespace:team.`, `Example: ds ${command} acme:devs`);
  }
  const { namespace, host } = await parseNamespaceArg(ctx, raw.slice(0, colon));
  return { namespace, host, team: raw.slice(colon + 1), label: `${namespace}:${raw.slice(colon + 1)}` };
}

/** `ns/name` of the namespace's registry, or undefined: the whole namespace. */
function packageArg(ctx: CliContext, index: number): string | null {
  const raw = ctx.args[index];
  if (raw === undefined || raw === '') return null;
  const text = raw.replace(/^@/, '');
  if (!text.includes('/')) throw cliError('USAGE', `"${raw}" is not a package: write namespace/name.`, 'Example: acme/web');
  return text;
}

export const teamCreate = defineCommand({
  name: 'team create',
  summary: 'Create a team inside a namespace',
  usage: ['team create <namespace:team> [--description <text>]'],
  options: { description: { type: 'string', description: 'what the team is for' } },
  async run(ctx) {
    ctx.requireToken();
    const t = await teamArg(ctx, 0, 'team create');
    await ctx.client().createTeam(t.namespace, t.host, t.team, stringOption(ctx, 'description') ?? '');
    return { created: t.label };
  },
  view: (data) => `Created team ${data.created}.`,
});

export const teamDestroy = defineCommand({
  name: 'team destroy',
  summary: 'Delete a team with its members and grants',
  usage: ['team destroy <namespace:team>'],
  async run(ctx) {
    ctx.requireToken();
    const t = await teamArg(ctx, 0, 'team destroy');
    await ctx.client().destroyTeam(t.namespace, t.host, t.team);
    return { destroyed: t.label };
  },
  view: (data) => `Deleted team ${data.destroyed}.`,
});

export const teamAdd = defineCommand({
  name: 'team add',
  summary: 'Add a user to a team',
  usage: ['team add <namespace:team> <user>'],
  async run(ctx) {
    ctx.requireToken();
    const t = await teamArg(ctx, 0, 'team add');
    const user = requireArg(ctx, 1, 'user', 'team add');
    const { added } = await ctx.client().addTeamMember(t.namespace, t.host, t.team, user);
    return { team: t.label, user, added };
  },
  view: (data) => (data.added ? `Added ${data.user} to ${data.team}.` : `${data.user} is already in ${data.team}.`),
});

export const teamRm = defineCommand({
  name: 'team rm',
  summary: 'Remove a user from a team',
  usage: ['team rm <namespace:team> <user>'],
  async run(ctx) {
    ctx.requireToken();
    const t = await teamArg(ctx, 0, 'team rm');
    const user = requireArg(ctx, 1, 'user', 'team rm');
    const { removed } = await ctx.client().removeTeamMember(t.namespace, t.host, t.team, user);
    return { team: t.label, user, removed };
  },
  view: (data) => (data.removed ? `Removed ${data.user} from ${data.team}.` : `${data.user} was not in ${data.team}.`),
});

export const teamLs = defineCommand({
  name: 'team ls',
  summary: "List a namespace's teams, or a team's members and grants",
  usage: ['team ls <namespace>', 'team ls <namespace:team>'],
  async run(ctx) {
    ctx.requireToken();
    const raw = requireArg(ctx, 0, 'namespace or namespace:team', 'team ls');
    if (!raw.includes(':')) {
      const { namespace, host } = await parseNamespaceArg(ctx, raw.replace(/^@/, ''));
      return {
        kind: 'teams' as const,
        teams: (await ctx.client().listTeams(namespace, host)).objects.map((name) => `${namespace}:${name}`),
      };
    }
    const t = await teamArg(ctx, 0, 'team ls');
    return { kind: 'team' as const, team: await ctx.client().getTeam(t.namespace, t.host, t.team) };
  },
  view: (data) => {
    if (data.kind === 'teams') return data.teams.length === 0 ? 'No teams.' : data.teams.join('\n');
    const { team } = data;
    return [
      `${team.namespace.split('@')[0]}:${team.name}${team.description ? ` — ${team.description}` : ''}`,
      `members: ${team.members.length === 0 ? 'none' : team.members.join(', ')}`,
      ...team.grants.map((g) => `${g.permission.padEnd(5)} ${g.package ?? `every package of ${team.namespace}`}`),
    ].join('\n');
  },
});

export const accessGrant = defineCommand({
  name: 'access grant',
  summary: 'Grant a team read or write on a package, or on every package of its namespace',
  usage: ['access grant <read|write> <namespace:team> [<namespace/package>]'],
  async run(ctx) {
    ctx.requireToken();
    const permission = requireArg(ctx, 0, 'read|write', 'access grant');
    if (permission !== 'read' && permission !== 'write')
      throw cliError('USAGE', 'The permission is read or write.', 'Example: ds access grant read acme:devs acme/web');
    const t = await teamArg(ctx, 1, 'access grant');
    const pkg = packageArg(ctx, 2);
    await ctx.client().grantTeam(t.namespace, t.host, t.team, pkg, permission);
    return { team: t.label, permission, package: pkg };
  },
  view: (data) => `${data.team} may now ${data.permission} ${data.package ?? 'every package its namespace maintains'}.`,
});

export const accessRevoke = defineCommand({
  name: 'access revoke',
  summary: "Remove a team's grant on a package (or its namespace-wide grant)",
  usage: ['access revoke <namespace:team> [<namespace/package>]'],
  async run(ctx) {
    ctx.requireToken();
    const t = await teamArg(ctx, 0, 'access revoke');
    const pkg = packageArg(ctx, 1);
    const { revoked } = await ctx.client().revokeTeamGrant(t.namespace, t.host, t.team, pkg);
    return { team: t.label, package: pkg, revoked };
  },
  view: (data) =>
    data.revoked
      ? `Revoked ${data.team}'s grant on ${data.package ?? 'the namespace'}.`
      : `${data.team} had no grant on ${data.package ?? 'the namespace'}.`,
});

/** `ns/name` (a package) or `ns` (a whole namespace), for `ds access get|set`. */
async function visibilityTarget(ctx: CliContext, index: number, command: string) {
  const raw = requireArg(ctx, index, 'namespace/package or namespace', command).replace(/^@/, '');
  if (raw.includes('/')) {
    const spec = await specArg(ctx, index, command);
    if (spec.explicitRange) throw cliError('USAGE', 'Name the package without a version.', `Example: ds ${command} acme/web`);
    return { kind: 'package' as const, ref: spec.ref, label: spec.canonical };
  }
  const { namespace, host } = await parseNamespaceArg(ctx, raw);
  return { kind: 'namespace' as const, namespace, host, label: `${namespace}@${host}` };
}

export const accessGet = defineCommand({
  name: 'access get',
  summary: 'Say whether a package or a namespace is private',
  usage: ['access get <namespace/package>', 'access get <namespace>'],
  async run(ctx) {
    const target = await visibilityTarget(ctx, 0, 'access get');
    if (target.kind === 'namespace') {
      const { private: isPrivate } = await ctx.client().getNamespaceVisibility(target.namespace, target.host);
      return { target: target.label, private: isPrivate, namespacePrivate: isPrivate };
    }
    const visibility = await ctx.client().getPackageVisibility(target.ref);
    return { target: target.label, private: visibility.private, namespacePrivate: visibility.namespace_private };
  },
  view: (data) =>
    `${data.target}: ${data.private ? 'private' : 'public'}${data.private && data.namespacePrivate && data.target.includes('/') ? ' (its namespace is private)' : ''}`,
});

export const accessSet = defineCommand({
  name: 'access set',
  summary: 'Make a package or a whole namespace private or public',
  usage: ['access set <private|public> <namespace/package>', 'access set <private|public> <namespace>'],
  async run(ctx) {
    ctx.requireToken();
    const setting = requireArg(ctx, 0, 'private|public', 'access set');
    if (setting !== 'private' && setting !== 'public')
      throw cliError('USAGE', 'The setting is private or public.', 'Example: ds access set private acme/web');
    const target = await visibilityTarget(ctx, 1, 'access set');
    const isPrivate = setting === 'private';
    if (target.kind === 'namespace') {
      await ctx.client().setNamespaceVisibility(target.namespace, target.host, isPrivate);
      return { target: target.label, private: isPrivate };
    }
    const visibility = await ctx.client().setPackageVisibility(target.ref, isPrivate);
    return { target: target.label, private: visibility.private };
  },
  view: (data) => `${data.target} is now ${data.private ? 'private' : 'public'}.`,
});
