import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type RegistryProcess, startRegistryProcess } from '@entropic/testkit';

export const DS_BIN = resolve(fileURLToPath(new URL('../../bin/ds.js', import.meta.url)));

export interface DsResult {
  code: number;
  stdout: string;
  stderr: string;
  /** stdout parsed as JSON (for --json runs) */
  json<T = Record<string, unknown>>(): T;
}

export interface DsUser {
  /** a temp HOME with its own ~/.entropicrc and cache */
  home: string;
  env: Record<string, string>;
  /** runs `ds …` as a child process, as a user would */
  ds(args: string[], options?: { cwd?: string; env?: Record<string, string>; input?: string }): Promise<DsResult>;
}

export interface DsWorld {
  registry: RegistryProcess;
  tokens: Record<string, string>;
  /** a user whose HOME is fresh; `as` gives them ENTROPIC_TOKEN of that registry user */
  user(options?: { as?: string; registry?: string }): Promise<DsUser>;
  stop(): Promise<void>;
}

export function runDs(args: string[], cwd: string, env: Record<string, string>, input?: string): Promise<DsResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [DS_BIN, ...args], { cwd, env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.on('error', reject);
    child.stdin.end(input ?? '');
    child.on('close', (code) =>
      resolvePromise({
        code: code ?? -1,
        stdout,
        stderr,
        json<T>() {
          try {
            return JSON.parse(stdout) as T;
          } catch {
            throw new Error(`ds ${args.join(' ')} did not print JSON (exit ${code}):\n${stdout}\n${stderr}`);
          }
        },
      }),
    );
  });
}

/** The environment of a user with nothing configured: only PATH and the temp HOME. */
function baseEnv(home: string): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: home,
    XDG_CACHE_HOME: join(home, '.cache'),
    NO_COLOR: '1',
  };
}

/**
 * Starts a registry (a real process) with users created by the operator command. With the
 * embedded database the admin command refuses to run beside the server, so the users are created
 * between a first start (which migrates) and the real one.
 */
export async function startDsWorld(userNames: string[], options: { env?: Record<string, string> } = {}): Promise<DsWorld> {
  const dataDir = await mkdtemp(join(tmpdir(), 'ds-e2e-data-'));
  const env = options.env ?? {};
  let registry = await startRegistryProcess({ dataDir, env });
  const tokens: Record<string, string> = {};
  try {
    for (const name of userNames) tokens[name] = (await registry.createUser(name)).token;
  } catch {
    await registry.stop({ keepData: true });
    for (const name of userNames) tokens[name] = (await registry.createUser(name)).token;
    registry = await startRegistryProcess({ dataDir, port: registry.port, env });
  }
  return {
    registry,
    tokens,
    async user(options = {}) {
      const home = await mkdtemp(join(tmpdir(), 'ds-e2e-home-'));
      const env: Record<string, string> = { ...baseEnv(home), ENTROPIC_REGISTRY: options.registry ?? registry.url };
      if (options.as) env.ENTROPIC_TOKEN = tokens[options.as] as string;
      return {
        home,
        env,
        ds: (args, runOptions = {}) => runDs(args, runOptions.cwd ?? home, { ...env, ...runOptions.env }, runOptions.input),
      };
    },
    async stop() {
      await registry.stop();
    },
  };
}

/** Writes a project directory from a map of relative paths to contents. */
export async function writeProject(dir: string, files: Record<string, string>): Promise<string> {
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), content);
  }
  return dir;
}

export async function tempDir(prefix = 'ds-e2e-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}
