import type { Advisory } from '@entropic/client';
import { cliError } from '../cli-error.ts';
import { defineCommand } from '../command.ts';
import { listOption, requireArg, specArg, stringOption } from '../command-args.ts';

const SEVERITIES = ['info', 'low', 'moderate', 'high', 'critical'];

/** One advisory on a line or two: `#id severity range title`, then the fix and link. */
export function advisoryLine(a: Advisory): string {
  const fix = a.patched_versions ? `fixed in ${a.patched_versions}` : 'no fix yet';
  return `#${a.id}  ${a.severity.padEnd(8)}  ${a.vulnerable_versions}  ${a.title}\n      ${fix}${a.url ? `  ${a.url}` : ''}`;
}

export const advisoryAdd = defineCommand({
  name: 'advisory add',
  summary: 'Publish a security advisory for a package you maintain (npm audit and ds audit report it)',
  usage: [
    'advisory add <package> --title <text> --severity <info|low|moderate|high|critical> --vulnerable <range> [--patched <range>] [--url <url>] [--cwe <CWE-n,…>] [--cvss <score>]',
  ],
  options: {
    title: { type: 'string', description: 'what is wrong, in one line (required)' },
    severity: { type: 'string', description: 'info, low, moderate, high or critical (required)' },
    vulnerable: { type: 'string', description: 'the semver range of the affected versions, e.g. "<1.2.3" (required)' },
    patched: { type: 'string', description: 'the semver range of the fixed versions, e.g. ">=1.2.3"' },
    url: { type: 'string', description: 'where to read more (default: the package page)' },
    cwe: { type: 'string', multiple: true, description: 'weakness ids, e.g. CWE-79' },
    cvss: { type: 'string', description: 'the CVSS score, 0-10' },
  },
  async run(ctx) {
    ctx.requireToken();
    const spec = await specArg(ctx, 0, 'advisory add');
    const title = stringOption(ctx, 'title');
    const severity = stringOption(ctx, 'severity');
    const vulnerable = stringOption(ctx, 'vulnerable');
    if (!title || !severity || !vulnerable) {
      throw cliError(
        'USAGE',
        'An advisory needs --title, --severity and --vulnerable.',
        'Example: ds advisory add alice/pkg --title "Prototype pollution" --severity high --vulnerable "<1.2.3" --patched ">=1.2.3"',
      );
    }
    if (!SEVERITIES.includes(severity)) throw cliError('USAGE', `--severity must be one of ${SEVERITIES.join(', ')}.`);
    const patched = stringOption(ctx, 'patched');
    const url = stringOption(ctx, 'url');
    const cvss = stringOption(ctx, 'cvss');
    const score = cvss === undefined ? undefined : Number(cvss);
    if (score !== undefined && !(score >= 0 && score <= 10)) throw cliError('USAGE', '--cvss must be a score from 0 to 10.');
    const cwe = listOption(ctx, 'cwe');
    const advisory = await ctx.client().addAdvisory(spec.ref, {
      title,
      severity,
      vulnerable_versions: vulnerable,
      ...(patched ? { patched_versions: patched } : {}),
      ...(url ? { url } : {}),
      ...(cwe.length > 0 ? { cwe } : {}),
      ...(score !== undefined ? { cvss: { score } } : {}),
    });
    return { package: spec.canonical, advisory };
  },
  view: (data) => `Published advisory #${data.advisory.id} for ${data.package}:\n${advisoryLine(data.advisory)}`,
});

export const advisoryLs = defineCommand({
  name: 'advisory ls',
  aliases: ['advisory list'],
  summary: "List a package's security advisories",
  usage: ['advisory ls <package>'],
  async run(ctx) {
    const spec = await specArg(ctx, 0, 'advisory ls');
    return { package: spec.canonical, advisories: await ctx.client().listAdvisories(spec.ref) };
  },
  view: (data) => (data.advisories.length === 0 ? `${data.package} has no advisories.` : data.advisories.map(advisoryLine).join('\n')),
});

export const advisoryRm = defineCommand({
  name: 'advisory rm',
  aliases: ['advisory remove'],
  summary: 'Withdraw a security advisory of a package you maintain',
  usage: ['advisory rm <package> <id>'],
  async run(ctx) {
    ctx.requireToken();
    const spec = await specArg(ctx, 0, 'advisory rm');
    const raw = requireArg(ctx, 1, 'id', 'advisory rm').replace(/^#/, '');
    if (!/^\d{1,9}$/.test(raw)) throw cliError('USAGE', 'An advisory id is a whole number (see `ds advisory ls`).');
    await ctx.client().removeAdvisory(spec.ref, Number(raw));
    return { package: spec.canonical, removed: Number(raw) };
  },
  view: (data) => `Withdrew advisory #${data.removed} of ${data.package}.`,
});
