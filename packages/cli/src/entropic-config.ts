import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { parse, stringify } from 'smol-toml';
import { cliError } from './cli-error.ts';

export const DEFAULT_REGISTRY = 'https://registry.entropic.dev';

export interface RegistrySettings {
  token?: string;
  username?: string;
}

/** `~/.entropicrc`: a default registry and one table of settings per registry URL. */
export interface EntropicConfig {
  registry?: string;
  cache?: string;
  registries: Record<string, RegistrySettings>;
}

export function configPath(env: NodeJS.ProcessEnv): string {
  return join(env.HOME || env.USERPROFILE || homedir(), '.entropicrc');
}

/** Trailing slashes removed, so `https://x/` and `https://x` share a table. */
export function normalizeRegistryUrl(raw: string): string {
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw cliError('USAGE', `"${raw}" is not a registry URL.`, 'Use a full URL such as https://registry.entropic.dev');
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw cliError('USAGE', `"${raw}" is not an http(s) URL.`, 'Use a full URL such as https://registry.entropic.dev');
  }
  return parsed.href.replace(/\/+$/, '');
}

export function parseConfig(text: string, path: string): EntropicConfig {
  let raw: Record<string, unknown>;
  try {
    raw = parse(text) as Record<string, unknown>;
  } catch (error) {
    throw cliError(
      'INVALID_CONFIG',
      `${path} is not valid TOML: ${(error as Error).message.split('\n')[0]}`,
      `Fix or delete ${path}.`,
      error,
    );
  }
  const config: EntropicConfig = { registries: {} };
  if (raw.registry !== undefined) {
    if (typeof raw.registry !== 'string') throw cliError('INVALID_CONFIG', `"registry" in ${path} must be a string.`, `Fix ${path}.`);
    config.registry = normalizeRegistryUrl(raw.registry);
  }
  if (raw.cache !== undefined) {
    if (typeof raw.cache !== 'string') throw cliError('INVALID_CONFIG', `"cache" in ${path} must be a string.`, `Fix ${path}.`);
    config.cache = raw.cache;
  }
  const registries = raw.registries ?? {};
  if (typeof registries !== 'object' || registries === null || Array.isArray(registries)) {
    throw cliError('INVALID_CONFIG', `"registries" in ${path} must be a table.`, `Fix ${path}.`);
  }
  for (const [url, settings] of Object.entries(registries)) {
    if (typeof settings !== 'object' || settings === null) {
      throw cliError('INVALID_CONFIG', `[registries."${url}"] in ${path} must be a table.`, `Fix ${path}.`);
    }
    const table = settings as Record<string, unknown>;
    const entry: RegistrySettings = {};
    if (typeof table.token === 'string') entry.token = table.token;
    if (typeof table.username === 'string') entry.username = table.username;
    config.registries[normalizeRegistryUrl(url)] = entry;
  }
  return config;
}

export async function loadConfig(path: string): Promise<EntropicConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { registries: {} };
    throw cliError('INVALID_CONFIG', `Could not read ${path}: ${(error as Error).message}`, 'Check its permissions.', error);
  }
  return parseConfig(text, path);
}

export function serializeConfig(config: EntropicConfig): string {
  const out: Record<string, unknown> = {};
  if (config.registry) out.registry = config.registry;
  if (config.cache) out.cache = config.cache;
  const registries = Object.fromEntries(Object.entries(config.registries).filter(([, s]) => Object.keys(s).length > 0));
  if (Object.keys(registries).length > 0) out.registries = registries;
  return `${stringify(out)}\n`;
}

/** Written to a temp file then renamed, readable by the owner only (it holds tokens). */
export async function saveConfig(path: string, config: EntropicConfig): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const temp = `${path}.${process.pid}.tmp`;
  await writeFile(temp, serializeConfig(config), { mode: 0o600 });
  await rename(temp, path);
}
