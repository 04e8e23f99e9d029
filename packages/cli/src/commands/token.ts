import { cliError } from '../cli-error.ts';
import { defineCommand } from '../command.ts';
import { listOption, requireArg, stringOption } from '../command-args.ts';

function limitsOf(t: { namespaces?: string[]; packages?: string[]; cidrs?: string[]; automation?: boolean }): string {
  const parts: string[] = [];
  const only = [...(t.namespaces ?? []).map((ns) => `${ns}/*`), ...(t.packages ?? [])];
  if (only.length > 0) parts.push(`only ${only.join(',')}`);
  if (t.cidrs?.length) parts.push(`from ${t.cidrs.join(',')}`);
  if (t.automation) parts.push('automation');
  return parts.map((p) => `  ${p}`).join('');
}

export const tokenList = defineCommand({
  name: 'token list',
  aliases: ['token ls'],
  summary: 'List your tokens',
  usage: ['token list'],
  async run(ctx) {
    ctx.requireToken();
    return { tokens: await ctx.client().listTokens() };
  },
  view: (data) =>
    data.tokens.length === 0
      ? 'No tokens.'
      : data.tokens
          .map(
            (t) =>
              `${t.id}  ${t.scope.padEnd(7)}  created ${t.created}  last used ${t.lastUsed ?? 'never'}${t.expires ? `  expires ${t.expires}` : ''}${limitsOf(t)}  ${t.description}`,
          )
          .join('\n'),
});

export const tokenCreate = defineCommand({
  name: 'token create',
  summary: 'Create a new token (shown once)',
  usage: [
    'token create --description <text> [--read-only] [--expires-in-days <n>] [--namespaces <ns,…>] [--packages <ns/name,…>] [--cidr <block,…>] [--automation]',
  ],
  options: {
    description: { type: 'string', description: 'what the token is for (required)' },
    'read-only': { type: 'boolean', description: 'a token that can only read' },
    'expires-in-days': { type: 'string', description: 'expire the token after this many days' },
    namespaces: { type: 'string', multiple: true, description: 'limit the token to these namespaces (every package in them)' },
    packages: { type: 'string', multiple: true, description: 'limit the token to these packages (ns/name)' },
    cidr: { type: 'string', multiple: true, description: 'only accept the token from these address blocks (e.g. 10.0.0.0/8)' },
    automation: { type: 'boolean', description: 'a CI token: skips the interactive second factor, nothing else' },
  },
  details:
    'With --namespaces and/or --packages the token acts only on those: other private packages read as absent, other writes are refused.',
  async run(ctx) {
    ctx.requireToken();
    const description = stringOption(ctx, 'description');
    if (!description) throw cliError('USAGE', 'A token needs a --description.', 'Example: ds token create --description "CI publish"');
    const days = stringOption(ctx, 'expires-in-days');
    const expiresInDays = days === undefined ? undefined : Number(days);
    if (expiresInDays !== undefined && (!Number.isInteger(expiresInDays) || expiresInDays < 1)) {
      throw cliError('USAGE', '--expires-in-days must be a whole number of days.', 'Example: --expires-in-days 30');
    }
    return ctx.client().createToken({
      description,
      scope: ctx.options['read-only'] === true ? 'read' : 'publish',
      ...(expiresInDays !== undefined ? { expiresInDays } : {}),
      namespaces: listOption(ctx, 'namespaces'),
      packages: listOption(ctx, 'packages'),
      cidrs: listOption(ctx, 'cidr'),
      automation: ctx.options.automation === true,
    });
  },
  view: (data) => `${data.token}\nToken ${data.id} (${data.scope}${limitsOf(data)}). It is shown only once; store it somewhere safe.`,
});

export const tokenRevoke = defineCommand({
  name: 'token revoke',
  aliases: ['token rm'],
  summary: 'Revoke a token',
  usage: ['token revoke <id>'],
  async run(ctx) {
    ctx.requireToken();
    const id = requireArg(ctx, 0, 'id', 'token revoke');
    await ctx.client().revokeToken(id);
    return { revoked: id };
  },
  view: (data) => `Revoked ${data.revoked}.`,
});
