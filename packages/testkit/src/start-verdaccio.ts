import { type ChildProcess, spawn } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { freePort } from './create-test-app.ts';
import { REPO_ROOT } from './start-registry-process.ts';
import { waitForStart } from './wait-for-start.ts';

export interface Verdaccio {
  url: string;
  child: ChildProcess;
  /** SIGTERM and wait; returns at once when it already stopped */
  stop(): Promise<void>;
}

/**
 * Verdaccio 6.8.0 (a root devDependency) on a free loopback port, as an npm upstream for tests:
 * storage and users in `dir`, no uplinks (it never reaches the network), web UI off.
 */
export async function startVerdaccio(dir: string): Promise<Verdaccio> {
  const port = await freePort();
  await mkdir(dir, { recursive: true });
  const config = join(dir, 'config.yaml');
  await writeFile(
    config,
    [
      `storage: ${join(dir, 'storage')}`,
      'auth:',
      '  htpasswd:',
      `    file: ${join(dir, 'htpasswd')}`,
      '    max_users: 100',
      'uplinks: {}',
      'packages:',
      "  '**':",
      '    access: $all',
      '    publish: $authenticated',
      '    unpublish: $authenticated',
      'web:',
      '  enable: false',
      'log: { type: stdout, format: pretty, level: error }',
    ].join('\n'),
  );
  const child = spawn(
    process.execPath,
    [join(REPO_ROOT, 'node_modules/.bin/verdaccio'), '--config', config, '--listen', `127.0.0.1:${port}`],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, HOME: dir },
    },
  );
  let output = '';
  child.stdout?.on('data', (d) => {
    output += d;
  });
  child.stderr?.on('data', (d) => {
    output += d;
  });
  const url = `http://127.0.0.1:${port}`;
  await waitForStart({
    what: `Verdaccio to answer GET ${url}/-/ping`,
    child,
    output: () => output,
    probe: async () => (await fetch(`${url}/-/ping`)).ok,
    intervalMs: 200,
  });
  return {
    url,
    child,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}
