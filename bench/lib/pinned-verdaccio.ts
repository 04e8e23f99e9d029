import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ReferenceServer } from './children.ts';
import { pinnedCommand, SERVER_CPU } from './cpu.ts';
import { freePort, waitForHttp } from './net.ts';
import { REPO_ROOT } from './registry.ts';

/** SIGTERM, then SIGKILL after `graceMs`; resolves when the child has exited. */
export function stopper(child: ChildProcess, graceMs = 10_000): () => Promise<void> {
  return async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  };
}

/**
 * Verdaccio 6.8.0 from this repository's node_modules, pinned to the server core, with `config`
 * (YAML lines) written to `dir/config.yaml` and its log in `dir/verdaccio.log`; resolves once
 * `/-/ping` answers (60 s bound, failing with the log's tail if it exits first).
 */
export async function startPinnedVerdaccio(dir: string, config: string, port: number): Promise<ReferenceServer & { logFile: string }> {
  const configFile = join(dir, 'config.yaml');
  await writeFile(configFile, `${config}\n`);
  const logFile = join(dir, 'verdaccio.log');
  const logFd = openSync(logFile, 'a');
  const { command, args } = pinnedCommand(SERVER_CPU, process.execPath, [
    join(REPO_ROOT, 'node_modules/.bin/verdaccio'),
    '--config',
    configFile,
    '--listen',
    `127.0.0.1:${port}`,
  ]);
  const child = spawn(command, args, {
    cwd: dir,
    env: { ...process.env, HOME: dir, NODE_ENV: 'production' },
    stdio: ['ignore', logFd, logFd],
  });
  closeSync(logFd);
  const url = `http://127.0.0.1:${port}`;
  await waitForHttp(`${url}/-/ping`, 60_000, () =>
    child.exitCode !== null ? `verdaccio exited ${child.exitCode}:\n${readFileSync(logFile, 'utf8').slice(-3000)}` : undefined,
  ).catch((error) => {
    child.kill('SIGKILL');
    throw error;
  });
  return { url, pid: child.pid as number, logFile, stop: stopper(child) };
}

/**
 * Verdaccio as the npm benchmarks run it: its shipped defaults (format/level of the log,
 * keep-alive) with htpasswd, JWT API tokens, no uplinks; `user` signed up, its token returned.
 */
export async function startRegistryVerdaccio(dir: string, user: string): Promise<ReferenceServer & { logFile: string; token: string }> {
  await mkdir(dir, { recursive: true });
  const port = await freePort();
  const config = [
    `storage: ${join(dir, 'storage')}`,
    'auth:',
    '  htpasswd:',
    `    file: ${join(dir, 'htpasswd')}`,
    '    max_users: 100',
    'security:',
    '  api:',
    '    jwt:',
    '      sign:',
    '        expiresIn: 7d',
    'uplinks: {}',
    'packages:',
    "  '@*/*':",
    '    access: $all',
    '    publish: $authenticated',
    '    unpublish: $authenticated',
    "  '**':",
    '    access: $all',
    '    publish: $authenticated',
    '    unpublish: $authenticated',
    'server:',
    '  keepAliveTimeout: 60',
    'web:',
    '  enable: false',
    'max_body_size: 50mb',
    'log: { type: stdout, format: json, level: http }',
  ].join('\n');
  const verdaccio = await startPinnedVerdaccio(dir, config, port);
  try {
    const signup = await fetch(`${verdaccio.url}/-/user/org.couchdb.user:${user}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        _id: `org.couchdb.user:${user}`,
        name: user,
        password: randomBytes(12).toString('hex'),
        type: 'user',
        roles: [],
      }),
      signal: AbortSignal.timeout(30_000),
    });
    const { token } = (await signup.json()) as { token?: string };
    if (signup.status !== 201 || !token) throw new Error(`verdaccio adduser: ${signup.status}`);
    if (!token.startsWith('eyJ')) throw new Error('verdaccio issued a legacy (AES) token, not a JWT: check security.api.jwt');
    return { ...verdaccio, token };
  } catch (error) {
    await verdaccio.stop();
    throw error;
  }
}
