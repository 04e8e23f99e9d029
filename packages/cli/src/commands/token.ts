import { defineCommand } from '../command.ts';
import { requireArg, stringOption } from '../command-args.ts';

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
              `${t.key}  ${t.token}  ${t.readonly ? 'read' : 'publish'}  created ${t.created}${t.description ? `  ${t.description}` : ''}`,
          )
          .join('\n'),
});

export const tokenCreate = defineCommand({
  name: 'token create',
  summary: 'Create a new token (shown once)',
  usage: ['token create [--read-only] [--description <text>]'],
  options: {
    'read-only': { type: 'boolean', description: 'a token that can only read' },
    description: { type: 'string', description: 'what the token is for' },
  },
  async run(ctx) {
    ctx.requireToken();
    const description = stringOption(ctx, 'description');
    return ctx.client().createToken({ readonly: ctx.options['read-only'] === true, ...(description ? { description } : {}) });
  },
  view: (data) => `${data.token}\nThis token is shown only once; store it somewhere safe.`,
});

export const tokenRevoke = defineCommand({
  name: 'token revoke',
  aliases: ['token rm'],
  summary: 'Revoke a token',
  usage: ['token revoke <key>'],
  async run(ctx) {
    ctx.requireToken();
    const key = requireArg(ctx, 0, 'key', 'token revoke');
    await ctx.client().revokeToken(key);
    return { revoked: key };
  },
  view: (data) => `Revoked ${data.revoked}.`,
});
