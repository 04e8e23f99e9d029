import { isValidNamespaceName, truncate } from '@entropic/types';
import type { CliContext } from './cli-context.ts';
import { cliError } from './cli-error.ts';
import { type PackageSpec, parsePackageSpec } from './parse-package-spec.ts';

export function requireArg(ctx: CliContext, index: number, name: string, command: string): string {
  const value = ctx.args[index];
  if (value === undefined || value === '') throw cliError('USAGE', `Missing <${name}>.`, `Run \`ds ${command} --help\`.`);
  return value;
}

export function stringOption(ctx: CliContext, name: string): string | undefined {
  const value = ctx.options[name];
  return typeof value === 'string' ? value : undefined;
}

/** A repeatable, comma-separable option: `--packages a/x,a/y --packages b/z`. */
export function listOption(ctx: CliContext, name: string): string[] {
  const raw = ctx.options[name];
  const values = Array.isArray(raw) ? raw : raw === undefined ? [] : [raw];
  return values
    .filter((v): v is string => typeof v === 'string')
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter(Boolean);
}

export async function specArg(ctx: CliContext, index: number, command: string): Promise<PackageSpec> {
  return parsePackageSpec(requireArg(ctx, index, 'package', command), await ctx.registryHost());
}

export interface NamespaceArg {
  namespace: string;
  host: string;
}

/** `ns` (this registry) or `ns@host`. */
export async function parseNamespaceArg(ctx: CliContext, raw: string): Promise<NamespaceArg> {
  const at = raw.indexOf('@');
  const namespace = at === -1 ? raw : raw.slice(0, at);
  const host = at === -1 ? await ctx.registryHost() : raw.slice(at + 1);
  if (!isValidNamespaceName(namespace) || host.length === 0) {
    throw cliError(
      'USAGE',
      `"${truncate(raw)}" is not a valid namespace or user name.`,
      'Use 2–64 characters of a-z, 0-9 and inner hyphens.',
    );
  }
  return { namespace, host };
}

/** The signed-in user's name (asks the registry). */
export async function currentUser(ctx: CliContext): Promise<string> {
  ctx.requireToken();
  return (await ctx.client().whoami()).username;
}

/** `--as <ns>` or the signed-in user's own namespace. */
export async function actingNamespace(ctx: CliContext): Promise<NamespaceArg> {
  const as = stringOption(ctx, 'as');
  return parseNamespaceArg(ctx, as ?? (await currentUser(ctx)));
}

/** Lists from the registry are either arrays or `{objects}` pages; names are strings or `{name}`. */
export function namesOf(list: unknown): string[] {
  const items = Array.isArray(list)
    ? list
    : Array.isArray((list as { objects?: unknown })?.objects)
      ? (list as { objects: unknown[] }).objects
      : [];
  return items.map((item) => {
    if (typeof item === 'string') return item;
    const record = item as Record<string, unknown>;
    for (const key of ['name', 'username', 'namespace', 'package']) if (typeof record?.[key] === 'string') return record[key] as string;
    return JSON.stringify(item);
  });
}
