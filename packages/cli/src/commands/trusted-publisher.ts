import type { TrustedPublisher } from '@entropic/client';
import { cliError } from '../cli-error.ts';
import { defineCommand } from '../command.ts';
import { requireArg, specArg, stringOption } from '../command-args.ts';

const GITHUB_ISSUER = 'https://token.actions.githubusercontent.com';

function describe(p: TrustedPublisher): string {
  const claims = Object.entries(p.claims)
    .map(([name, value]) => `${name}=${value}`)
    .join(' ');
  return `${p.id}  ${p.issuer}  ${claims}  (added by ${p.createdBy})`;
}

/** `--claim name=value`, repeatable. */
function claimsOf(raw: unknown): Record<string, string> {
  const list = Array.isArray(raw) ? raw : raw === undefined ? [] : [raw];
  const claims: Record<string, string> = {};
  for (const entry of list) {
    const text = String(entry);
    const eq = text.indexOf('=');
    if (eq <= 0) throw cliError('USAGE', `"${text.slice(0, 80)}" is not name=value.`, 'Example: --claim repository=me/widgets');
    claims[text.slice(0, eq)] = text.slice(eq + 1);
  }
  return claims;
}

export const trustedPublisherLs = defineCommand({
  name: 'trusted-publisher ls',
  aliases: ['trusted-publisher list'],
  summary: 'List the CI identities allowed to publish a package (trusted publishing)',
  usage: ['trusted-publisher ls <package>'],
  async run(ctx) {
    ctx.requireToken();
    const spec = await specArg(ctx, 0, 'trusted-publisher ls');
    const { objects } = await ctx.client().listTrustedPublishers(spec.ref);
    return { package: spec.canonical, publishers: objects };
  },
  view: (data) => (data.publishers.length === 0 ? `${data.package} has no trusted publishers.` : data.publishers.map(describe).join('\n')),
});

export const trustedPublisherAdd = defineCommand({
  name: 'trusted-publisher add',
  summary: 'Allow a CI identity (OpenID Connect issuer and claims) to publish a package',
  usage: ['trusted-publisher add <package> --claim <name>=<value> … [--issuer <url>]'],
  options: {
    issuer: { type: 'string', description: `the OpenID Connect issuer (default GitHub Actions: ${GITHUB_ISSUER})` },
    claim: { type: 'string', multiple: true, description: 'a claim the id token must carry with exactly this value (repeatable)' },
  },
  details: [
    'CI then publishes without a stored token: npm 11.5+ exchanges its id token for a short-lived',
    'token that publishes only this package. Name at least one of sub, repository, repository_id,',
    'project_path, project_id. Example for GitHub Actions:',
    '  ds trusted-publisher add me/widgets --claim repository=me/widgets \\',
    '    --claim workflow_ref=me/widgets/.github/workflows/release.yml@refs/heads/main',
  ].join('\n'),
  async run(ctx) {
    ctx.requireToken();
    const spec = await specArg(ctx, 0, 'trusted-publisher add');
    const claims = claimsOf(ctx.options.claim);
    if (Object.keys(claims).length === 0) throw cliError('USAGE', 'Name at least one --claim.', 'Run `ds trusted-publisher add --help`.');
    const publisher = await ctx.client().addTrustedPublisher(spec.ref, { issuer: stringOption(ctx, 'issuer') ?? GITHUB_ISSUER, claims });
    return { package: spec.canonical, publisher };
  },
  view: (data) => `Trusted publisher added to ${data.package}:\n${describe(data.publisher)}`,
});

export const trustedPublisherRm = defineCommand({
  name: 'trusted-publisher rm',
  aliases: ['trusted-publisher remove'],
  summary: 'Remove a trusted publisher (the tokens exchanged for it stop working)',
  usage: ['trusted-publisher rm <package> <id>'],
  async run(ctx) {
    ctx.requireToken();
    const spec = await specArg(ctx, 0, 'trusted-publisher rm');
    const id = requireArg(ctx, 1, 'id', 'trusted-publisher rm');
    await ctx.client().removeTrustedPublisher(spec.ref, id);
    return { package: spec.canonical, id };
  },
  view: (data) => `Removed trusted publisher ${data.id} from ${data.package}.`,
});
