import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DS_BIN, type DsWorld, startDsWorld } from '../../packages/cli/test/support/ds-harness.ts';

const PASSWORD = 'ds login pass phrase';

/**
 * What a browser does for the website, over plain HTTP: keeps cookies, follows nothing by itself,
 * sends each form with the CSRF token of the last page that had one (and our Origin).
 */
class FormClient {
  private readonly cookies = new Map<string, string>();
  private csrf = '';

  constructor(private readonly base: string) {}

  private async send(path: string, init: RequestInit): Promise<{ status: number; location: string | null; body: string }> {
    const headers = new Headers(init.headers);
    if (this.cookies.size > 0) headers.set('cookie', [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; '));
    const response = await fetch(new URL(path, this.base), { ...init, headers, redirect: 'manual' });
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const eq = (pair as string).indexOf('=');
      const name = (pair as string).slice(0, eq).trim();
      const value = (pair as string).slice(eq + 1).trim();
      if (value === '' || /max-age=0\b/i.test(line)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    const body = await response.text();
    const csrf = /name="_csrf" value="([^"]+)"/.exec(body);
    if (csrf) this.csrf = csrf[1] as string;
    return { status: response.status, location: response.headers.get('location'), body };
  }

  get(path: string) {
    return this.send(path, { method: 'GET' });
  }

  post(path: string, fields: Record<string, string>) {
    return this.send(path, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: new URL(this.base).origin },
      body: new URLSearchParams({ _csrf: this.csrf, ...fields }).toString(),
    });
  }
}

function startDs(args: string[], env: Record<string, string>, cwd: string) {
  let stdout = '';
  let stderr = '';
  const child = spawn(process.execPath, [DS_BIN, ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.on('data', (d) => {
    stdout += d;
  });
  child.stderr.on('data', (d) => {
    stderr += d;
  });
  const exit = new Promise<number>((resolve) => child.on('close', (code) => resolve(code ?? -1)));
  return { child, exit, stdout: () => stdout, stderr: () => stderr };
}

async function waitFor<T>(what: string, probe: () => T | undefined, timeoutMs: number, detail: () => string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}:\n${detail()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('ds login through the website', { timeout: 180_000 }, () => {
  let world: DsWorld;
  before(async () => {
    world = await startDsWorld([]);
    // a local account with a password, made through the sign-up form like a person would
    const signup = new FormClient(world.registry.url);
    await signup.get('/www/signup');
    const made = await signup.post('/www/signup', { username: 'lena', email: '', password: PASSWORD, password2: PASSWORD });
    assert.equal(made.status, 303, made.body);
  });
  after(async () => {
    await world?.stop();
  });

  it('prints the URL; the user signs in and confirms; the token lands in ~/.entropicrc and whoami names the user', async () => {
    const user = await world.user();
    const login = startDs(['login', '--no-browser', '--timeout', '120'], user.env, user.home);
    try {
      const loginUrl = await waitFor(
        'ds to print the login URL',
        () => /(http:\/\/\S+\/www\/login\?cli=([0-9a-f-]{36}))/.exec(login.stderr())?.[1],
        60_000,
        () => login.stderr() + login.stdout(),
      );
      assert.ok(loginUrl.startsWith(`${world.registry.url}/www/login?cli=`), loginUrl);
      const id = new URL(loginUrl).searchParams.get('cli') as string;

      const browser = new FormClient(world.registry.url);
      const page = await browser.get(new URL(loginUrl).pathname + new URL(loginUrl).search);
      assert.equal(page.status, 200);
      assert.match(page.body, /finish logging in on the command line/);
      const wrong = await browser.post('/www/login', { username: 'lena', password: 'not the password' });
      assert.equal(wrong.status, 401);
      const signedIn = await browser.post('/www/login', { username: 'lena', password: PASSWORD });
      assert.equal(signedIn.status, 303, signedIn.body);
      assert.equal(signedIn.location, '/www/cli-login');
      const confirm = await browser.get('/www/cli-login');
      assert.equal(confirm.status, 200);
      assert.match(confirm.body, /as <strong>lena<\/strong>/);
      assert.equal(login.child.exitCode, null, 'ds keeps polling until the user confirms');

      const done = await browser.post('/www/cli-login', { action: 'confirm' });
      assert.equal(done.status, 200, done.body);
      assert.match(done.body, /You are logged in on the command line/);

      let timer: NodeJS.Timeout | undefined;
      const code = await Promise.race([
        login.exit,
        new Promise<number>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`ds login did not finish:\n${login.stderr()}`)), 60_000);
        }),
      ]).finally(() => clearTimeout(timer));
      assert.equal(code, 0, login.stderr());
      const rc = join(user.home, '.entropicrc');
      assert.equal(login.stdout(), `Logged in to ${world.registry.url} as lena; token saved in ${rc}.\n`);

      const text = await readFile(rc, 'utf8');
      const token = /token = "(ent_v1_[0-9a-f-]{36})"/.exec(text)?.[1];
      assert.ok(token, text);
      assert.match(text, /username = "lena"/);
      assert.equal((await stat(rc)).mode & 0o777, 0o600);
      assert.ok(!login.stderr().includes(token) && !login.stdout().includes(token), 'the token is not printed');

      // the token was handed out exactly once
      const again = await fetch(`${world.registry.url}/-/v1/login/poll/${id}`);
      assert.equal(again.status, 404);

      const whoami = await user.ds(['whoami']);
      assert.equal(whoami.code, 0, whoami.stderr);
      assert.equal(whoami.stdout, 'lena\n');
      // the first login also made this registry the default: no ENTROPIC_REGISTRY needed
      const byDefault = await user.ds(['whoami', '--json'], { env: { ENTROPIC_REGISTRY: '' } });
      assert.equal(byDefault.code, 0, byDefault.stderr);
      assert.equal(byDefault.json<{ username: string }>().username, 'lena');
      assert.match((await user.ds(['token', 'list'])).stdout, /CLI login/);
    } finally {
      if (login.child.exitCode === null) login.child.kill('SIGKILL');
    }
  });

  it('stops with LOGIN_EXPIRED when the user cancels on the website', async () => {
    const user = await world.user();
    const login = startDs(['login', '--no-browser', '--timeout', '120', '--json'], user.env, user.home);
    try {
      const loginUrl = await waitFor(
        'ds to print the login URL',
        () => /(http:\/\/\S+\/www\/login\?cli=[0-9a-f-]{36})/.exec(login.stderr())?.[1],
        60_000,
        () => login.stderr(),
      );
      const browser = new FormClient(world.registry.url);
      await browser.get(new URL(loginUrl).pathname + new URL(loginUrl).search);
      assert.equal((await browser.post('/www/login', { username: 'lena', password: PASSWORD })).status, 303);
      await browser.get('/www/cli-login');
      const cancelled = await browser.post('/www/cli-login', { action: 'cancel' });
      assert.match(cancelled.body, /cancelled/);
      assert.equal(await login.exit, 4, login.stderr());
      assert.equal(JSON.parse(login.stdout()).error.code, 'LOGIN_EXPIRED');
      await assert.rejects(readFile(join(user.home, '.entropicrc'), 'utf8'), { code: 'ENOENT' });
    } finally {
      if (login.child.exitCode === null) login.child.kill('SIGKILL');
    }
  });
});
