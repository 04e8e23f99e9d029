import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type RegistryProcess, startRegistryProcess } from '@entropic/testkit';
import type { Browser } from 'playwright-core';
import { chromiumMissing, launchChromium } from './support/chromium.ts';

const PASSWORD = 'npm web login password';

function runNpm(args: string[], home: string): { child: ChildProcess; output: () => string; exit: Promise<number> } {
  let output = '';
  const child = spawn(
    'npm',
    [...args, '--userconfig', join(home, '.npmrc'), '--cache', join(home, 'cache'), '--no-update-notifier', '--no-audit', '--no-fund'],
    {
      env: { ...process.env, HOME: home, npm_config_userconfig: join(home, '.npmrc') },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  child.stdout?.on('data', (d) => {
    output += d;
  });
  child.stderr?.on('data', (d) => {
    output += d;
  });
  const exit = new Promise<number>((resolve) => child.on('close', (code) => resolve(code ?? 1)));
  return { child, output: () => output, exit };
}

async function waitFor<T>(what: string, probe: () => T | undefined, timeoutMs: number, detail: () => string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}:\n${detail()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('npm login --auth-type=web against a running registry', { skip: chromiumMissing(), timeout: 240_000 }, () => {
  let registry: RegistryProcess;
  let browser: Browser;
  let home: string;
  before(async () => {
    home = await mkdtemp(join(tmpdir(), 'entropic-npm-home-'));
    registry = await startRegistryProcess({ env: { LOG_LEVEL: 'debug', LOCAL_ACCOUNTS: 'true' } });
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await registry?.stop();
    await rm(home, { recursive: true, force: true });
  });

  it('logs npm in through the browser; npm whoami then names the user; no secret reaches the log', async () => {
    const registryUrl = `${registry.url}/`;
    const login = runNpm(['login', '--auth-type=web', '--registry', registryUrl], home);
    try {
      const loginUrl = await waitFor(
        'npm to print the login URL',
        () => /(https?:\/\/\S+\/www\/login\?cli=[0-9a-f-]{36})/.exec(login.output())?.[1],
        60_000,
        login.output,
      );
      assert.ok(loginUrl.startsWith(registry.url));

      const page = await (await browser.newContext()).newPage();
      page.setDefaultTimeout(15_000);
      await page.goto(loginUrl);
      await page.getByText('Sign in to finish logging in on the command line').waitFor();
      await page.getByRole('link', { name: 'Create an account' }).click();
      await page.getByLabel('Username').fill('npm-user');
      await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
      await page.getByLabel('Password, again').fill(PASSWORD);
      await page.getByRole('button', { name: 'Create account' }).click();
      await page.waitForURL(`${registry.url}/www/cli-login`);
      assert.equal(await page.locator('h1').textContent(), 'Log in the command line?');
      await page.getByRole('button', { name: 'Log in', exact: true }).click();
      await page.getByText('You are logged in on the command line').waitFor();

      let timer: NodeJS.Timeout | undefined;
      const code = await Promise.race([
        login.exit,
        new Promise<number>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`npm login did not finish:\n${login.output()}`)), 60_000);
        }),
      ]).finally(() => clearTimeout(timer));
      assert.equal(code, 0, login.output());
      assert.match(login.output(), /Logged in on http:\/\/127\.0\.0\.1:\d+\//);
      const npmrc = await readFile(join(home, '.npmrc'), 'utf8');
      const token = /:_authToken=(ent_v1_[0-9a-f-]{36})/.exec(npmrc)?.[1];
      assert.ok(token, npmrc);

      const whoami = runNpm(['whoami', '--registry', registryUrl], home);
      assert.equal(await whoami.exit, 0, whoami.output());
      assert.equal(whoami.output().trim().split('\n').at(-1), 'npm-user');

      // the log saw the whole flow at debug level, and neither the password nor the token
      const log = registry.output();
      assert.ok(log.length > 0);
      assert.ok(!log.includes(PASSWORD), 'password logged');
      assert.ok(!log.includes(token), 'token logged');
      assert.ok(!/entropic_session=[A-Za-z0-9_-]{43}/.test(log), 'session cookie logged');
      await page.context().close();
    } finally {
      if (login.child.exitCode === null) login.child.kill('SIGKILL');
    }
  });
});
