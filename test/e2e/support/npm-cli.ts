import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** A clean environment for the npm CLI: temp HOME, no npm_* variables inherited from `npm test`. */
export function npmEnv(home: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!/^(npm_|yarn_|pnpm_)/i.test(key)) env[key] = value;
  return {
    ...env,
    HOME: home,
    XDG_CONFIG_HOME: join(home, '.config'),
    XDG_CACHE_HOME: join(home, '.cache'),
    npm_config_userconfig: join(home, '.npmrc'),
    npm_config_cache: join(home, '.npm'),
    npm_config_update_notifier: 'false',
    npm_config_audit: 'false',
    npm_config_fund: 'false',
    CI: 'true',
  };
}

/** Runs a command; rejects with its output when it fails. */
export function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { cwd, env, timeout: 180_000, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${command} ${args.join(' ')} failed: ${error.message}\n${stdout}\n${stderr}`));
      else resolve(`${stdout}${stderr}`);
    });
  });
}

/** The output of a command that must fail (the test fails if it succeeds). */
export async function failing(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<string> {
  try {
    const out = await run(command, args, cwd, env);
    assert.fail(`${command} ${args.join(' ')} succeeded:\n${out}`);
  } catch (error) {
    if (error instanceof assert.AssertionError) throw error;
    return (error as Error).message;
  }
}

/**
 * The environment of an npm user: a new home under `root` whose .npmrc points npm at `registry`
 * (ending in `/`), with `token` for it when given, and any further .npmrc lines.
 */
export async function npmUserEnv(
  root: string,
  registry: string,
  name: string,
  token?: string,
  lines: string[] = [],
): Promise<NodeJS.ProcessEnv> {
  const dir = await mkdtemp(join(root, `home-${name}-`));
  const npmrc = [`registry=${registry}`, ...lines];
  if (token) npmrc.push(`${registry.replace(/^https?:/, '')}:_authToken=${token}`);
  await writeFile(join(dir, '.npmrc'), `${npmrc.join('\n')}\n`);
  return npmEnv(dir);
}

/** A home directory whose .npmrc points npm at one registry. */
export async function makeNpmHome(root: string, registry: string): Promise<string> {
  const home = await mkdtemp(join(root, 'home-'));
  await writeFile(join(home, '.npmrc'), `registry=${registry}\naudit=false\nfund=false\nupdate-notifier=false\n`);
  return home;
}

export async function writeProject(dir: string, manifest: Record<string, unknown>): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'package.json'), JSON.stringify(manifest, null, 2));
}
