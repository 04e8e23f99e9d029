import { createRegistryClient, type RegistryClient } from '@entropic/client';
import { cliError } from './cli-error.ts';
import { type ContentCache, createContentCache, defaultCacheDir } from './content-cache.ts';
import { configPath, DEFAULT_REGISTRY, type EntropicConfig, loadConfig, normalizeRegistryUrl, saveConfig } from './entropic-config.ts';
import { createProgressBar, type ProgressBar } from './progress-bar.ts';

export const CLI_VERSION = '0.1.0';

export interface CliIo {
  /** where prompts read from (the one-time password when a write asks for it); absent: never prompt */
  stdin?: NodeJS.ReadableStream & { isTTY?: boolean };
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
  cwd: string;
}

export interface CliContext {
  /** Positional arguments after the command (and subcommand) name. */
  args: string[];
  options: Record<string, string | boolean | string[] | undefined>;
  io: CliIo;
  json: boolean;
  verbose: boolean;
  configPath: string;
  config: EntropicConfig;
  /** The selected registry URL (normalised). */
  registry: string;
  /** True when --registry or ENTROPIC_REGISTRY chose it. */
  registryExplicit: boolean;
  token: string | undefined;
  client(): RegistryClient;
  /** A client (no token) for another registry at `url`: an origin host with `--origin`; closed with the context. */
  originClient(url: string): RegistryClient;
  /** The registry's own host name (`/` → host), falling back to the URL's host. */
  registryHost(): Promise<string>;
  cache(): ContentCache;
  progress: ProgressBar;
  /** A status line on stderr (silenced by --json). */
  info(line: string): void;
  /** A line on stderr with --verbose only. */
  debug(line: string): void;
  saveConfig(config: EntropicConfig): Promise<void>;
  requireToken(): string;
}

export async function createCliContext(
  io: CliIo,
  args: string[],
  options: CliContext['options'],
): Promise<{ ctx: CliContext; close: () => Promise<void> }> {
  const json = options.json === true;
  const verbose = options.verbose === true;
  const path = configPath(io.env);
  const config = await loadConfig(path);
  const flag = typeof options.registry === 'string' ? options.registry : undefined;
  const fromEnv = io.env.ENTROPIC_REGISTRY || undefined;
  const chosen = flag ?? fromEnv ?? config.registry ?? DEFAULT_REGISTRY;
  const registry = normalizeRegistryUrl(chosen);
  const token = io.env.ENTROPIC_TOKEN || config.registries[registry]?.token;
  let client: RegistryClient | undefined;
  const originClients = new Map<string, RegistryClient>();
  let host: Promise<string> | undefined;
  let cache: ContentCache | undefined;
  const stderr = io.stderr as NodeJS.WriteStream;
  const ctx: CliContext = {
    args,
    options,
    io,
    json,
    verbose,
    configPath: path,
    config,
    registry,
    registryExplicit: flag !== undefined || fromEnv !== undefined,
    token,
    client() {
      client ??= createRegistryClient({
        registry,
        token,
        ...(typeof options.otp === 'string' ? { otp: options.otp } : {}),
        userAgent: `ds/${CLI_VERSION} node/${process.version}`,
        ...(verbose ? { onRequest: (line: string) => ctx.debug(line) } : {}),
      });
      return client;
    },
    originClient(url) {
      let origin = originClients.get(url);
      if (!origin) {
        origin = createRegistryClient({
          registry: url,
          userAgent: `ds/${CLI_VERSION} node/${process.version}`,
          ...(verbose ? { onRequest: (line: string) => ctx.debug(line) } : {}),
        });
        originClients.set(url, origin);
      }
      return origin;
    },
    registryHost() {
      host ??= ctx
        .client()
        .info()
        .then((info) => (typeof info.host === 'string' && info.host ? info.host : new URL(registry).host))
        .catch((error: unknown) => {
          ctx.debug(`could not read the registry's host (${(error as Error).message}); using the URL's`);
          return new URL(registry).host;
        });
      return host;
    },
    cache() {
      const root = typeof options.cache === 'string' ? options.cache : (config.cache ?? defaultCacheDir(io.env));
      cache ??= createContentCache(root);
      return cache;
    },
    progress: createProgressBar(stderr, !json && io.env.CI === undefined),
    info(line) {
      if (!json) io.stderr.write(`${line}\n`);
    },
    debug(line) {
      if (verbose) io.stderr.write(`[verbose] ${line}\n`);
    },
    saveConfig(next) {
      return saveConfig(path, next);
    },
    requireToken() {
      if (!token) {
        throw cliError(
          'NOT_LOGGED_IN',
          `You are not logged in to ${registry}.`,
          `Run \`ds login --registry ${registry}\` or set ENTROPIC_TOKEN.`,
        );
      }
      return token;
    },
  };
  return {
    ctx,
    close: async () => {
      await Promise.all([client?.close(), ...[...originClients.values()].map((origin) => origin.close())]);
    },
  };
}
