import { cliError } from '../cli-error.ts';
import { defineCommand } from '../command.ts';
import { parseNamespaceArg, requireArg } from '../command-args.ts';

const describe = (namespace: string, hours: number | null) =>
  hours === null
    ? `${namespace}: no release-age quarantine of its own (the registry's MIN_RELEASE_AGE_HOURS applies).`
    : `${namespace}: versions published in it are kept from ranges and latest until ${hours} hours old (pinned installs still work).`;

export const releaseAgeGet = defineCommand({
  name: 'release-age get',
  summary: "Show a namespace's release-age quarantine",
  usage: ['release-age get <namespace>'],
  async run(ctx) {
    const { namespace, host } = await parseNamespaceArg(ctx, requireArg(ctx, 0, 'namespace', 'release-age get'));
    const { hours } = await ctx.client().getNamespaceReleaseAge(namespace, host);
    return { namespace: `${namespace}@${host}`, hours };
  },
  view: (data) => describe(data.namespace, data.hours),
});

export const releaseAgeSet = defineCommand({
  name: 'release-age set',
  summary: "Set a namespace's release-age quarantine: new versions are not offered to ranges until this many hours old",
  usage: ['release-age set <namespace> <hours|off>'],
  details: "The stricter of this and the registry operator's MIN_RELEASE_AGE_HOURS applies. An exact pin installs a quarantined version.",
  async run(ctx) {
    ctx.requireToken();
    const { namespace, host } = await parseNamespaceArg(ctx, requireArg(ctx, 0, 'namespace', 'release-age set'));
    const raw = requireArg(ctx, 1, 'hours|off', 'release-age set');
    if (raw !== 'off' && !/^\d{1,5}$/.test(raw))
      throw cliError('USAGE', 'Give a whole number of hours, or off.', 'Example: ds release-age set acme 48');
    const { hours } = await ctx.client().setNamespaceReleaseAge(namespace, host, raw === 'off' ? null : Number(raw));
    return { namespace: `${namespace}@${host}`, hours };
  },
  view: (data) => describe(data.namespace, data.hours),
});
