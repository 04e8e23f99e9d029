import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { hashPassword } from '@entropic/core';
import { createTestApp, type TestApp, type TestUser } from '@entropic/testkit';
import { Secret, TOTP } from 'otpauth';
import { DS_BIN, runDs, writeProject as writeFiles } from '../../packages/cli/test/support/ds-harness.ts';
import { WebClient } from '../../packages/server/test/support/web-client.ts';
import { failing, npmEnv, run, writeProject } from './support/npm-cli.ts';

const PASSWORD = 'correct horse battery';

/**
 * Issue 10.1: a user turns on an authenticator app on the website; the real npm CLI and `ds` then
 * need `--otp` for writes. The registry's clock is a fake one the test steps (codes are per
 * 30-second step), the authenticator app is otpauth computing the same codes.
 */
describe('two-factor writes with the real npm CLI and ds (issue 10.1)', { timeout: 300_000 }, () => {
  let root: string;
  let t: TestApp;
  let registry: string;
  let alice: TestUser;
  let env: NodeJS.ProcessEnv;
  let secret: string;
  let now = new Date('2026-05-01T10:00:05Z');
  const code = (offsetSteps = 0) =>
    new TOTP({ algorithm: 'SHA1', digits: 6, period: 30, secret: Secret.fromBase32(secret) }).generate({
      timestamp: now.getTime() + offsetSteps * 30_000,
    });
  const nextStep = () => {
    now = new Date(now.getTime() + 30_000);
  };

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'entropic-npm-otp-'));
    t = await createTestApp();
    t.deps.clock = { now: () => now };
    registry = `${await t.listen()}/`;
    alice = await t.createUser('alice', { passwordHash: await hashPassword(PASSWORD) });
    const home = await mkdtemp(join(root, 'home-'));
    const lines = [`registry=${registry}`, `${registry.replace(/^https?:/, '')}:_authToken=${alice.token}`];
    await writeFile(join(home, '.npmrc'), `${lines.join('\n')}\n`);
    env = npmEnv(home);
  });
  after(async () => {
    await t?.close();
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('the website sets up the authenticator app (otpauth URI and QR code, a code to confirm) and sign-in then asks for a code', async () => {
    const web = new WebClient(t.app);
    await web.get('/www/login');
    const signedIn = await web.post('/www/login', { username: 'alice', password: PASSWORD });
    assert.equal(signedIn.statusCode, 303);
    assert.equal(signedIn.headers.location, '/www/tokens');
    const off = await web.get('/www/account/security');
    assert.match(off.body, /Two-factor authentication is off/);
    assert.equal((await web.post('/www/account/security', { action: 'start' })).statusCode, 303);
    const page = await web.get('/www/account/security');
    secret = (/data-testid="totp-secret">([A-Z2-7]+)</.exec(page.body) as RegExpExecArray)[1] as string;
    assert.match(page.body, /otpauth:\/\/totp\/Entropic:alice\?[^"]*secret=/);
    assert.match(page.body, /<svg[^>]*>/, 'the QR code');
    const wrong = await web.post('/www/account/security', { action: 'confirm', code: '000000', forWrites: 'on' });
    assert.equal(wrong.statusCode, 401);
    const confirmed = await web.post('/www/account/security', { action: 'confirm', code: code(), forWrites: 'on' });
    assert.equal(confirmed.statusCode, 200);
    assert.equal((confirmed.body.match(/<li><code>[a-z0-9]{5}-[a-z0-9]{5}<\/code><\/li>/g) ?? []).length, 10);

    // a new sign-in: the password, then the code
    const again = new WebClient(t.app);
    await again.get('/www/login');
    const first = await again.post('/www/login', { username: 'alice', password: PASSWORD });
    assert.equal(first.headers.location, '/www/login/second-factor');
    assert.equal((await again.get('/www/tokens')).statusCode, 303, 'not signed in before the code');
    await again.get('/www/login/second-factor');
    const bad = await again.post('/www/login/second-factor', { code: '123456' });
    assert.equal(bad.statusCode, 401);
    nextStep();
    const good = await again.post('/www/login/second-factor', { code: code() });
    assert.equal(good.statusCode, 303);
    assert.equal((await again.get('/www/tokens')).statusCode, 200);
  });

  it('npm publish without --otp is refused with a clear message; with a wrong or replayed code too; with a fresh one it publishes', async () => {
    const project = join(root, 'lib');
    await writeProject(project, { name: '@alice/lib', version: '1.0.0' });
    await writeFile(join(project, 'index.js'), 'module.exports = 1;\n');
    const without = await failing('npm', ['publish'], project, env);
    assert.match(without, /EOTP/);
    assert.match(without, /This operation requires a one-time password/);
    const wrong = await failing('npm', ['publish', '--otp=000000'], project, env);
    assert.match(wrong, /EOTP/);
    nextStep();
    const fresh = code();
    await run('npm', ['publish', `--otp=${fresh}`], project, env);
    const view = JSON.parse(await run('npm', ['view', '@alice/lib', '--json'], project, env)) as { version: string };
    assert.equal(view.version, '1.0.0');
    await writeProject(project, { name: '@alice/lib', version: '1.0.1' });
    const replay = await failing('npm', ['publish', `--otp=${fresh}`], project, env);
    assert.match(replay, /EOTP/, 'a code works once');
    nextStep();
    await run('npm', ['publish', `--otp=${code()}`], project, env);
    nextStep();
    await failing('npm', ['dist-tag', 'add', '@alice/lib@1.0.0', 'old'], project, env);
    await run('npm', ['dist-tag', 'add', '@alice/lib@1.0.0', 'old', `--otp=${code()}`], project, env);
  });

  it('ds publish needs --otp too, and says why', async () => {
    const home = await mkdtemp(join(root, 'ds-'));
    const dsEnv = {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: home,
      NO_COLOR: '1',
      ENTROPIC_REGISTRY: t.url,
      ENTROPIC_TOKEN: alice.token,
    };
    const project = await writeFiles(join(root, 'dslib'), {
      'Package.toml': 'name = "alice/dslib"\nversion = "1.0.0"\n',
      'index.js': 'module.exports = 2;\n',
    });
    // stdin is a pipe, not a terminal: no prompt, the error and its hint
    const refused = await runDs(['publish'], project, dsEnv, '123456\n');
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /one-time password/);
    assert.doesNotMatch(refused.stderr, /Enter one-time password/);
    nextStep();
    const published = await runDs(['publish', '--otp', code()], project, dsEnv);
    assert.equal(published.code, 0, published.stderr);
    assert.match(published.stdout, /\+ alice@[^/]+\/dslib@1\.0\.0/);
  });

  it('ds publish at a terminal asks for the code (a pseudo-terminal from script(1)); a wrong one asks again; then it publishes', async () => {
    const home = await mkdtemp(join(root, 'ds-tty-'));
    const project = await writeFiles(join(root, 'dstty'), {
      'Package.toml': 'name = "alice/dstty"\nversion = "1.0.0"\n',
      'index.js': 'module.exports = 3;\n',
    });
    const dsEnv = {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: home,
      NO_COLOR: '1',
      TERM: 'dumb',
      ENTROPIC_REGISTRY: t.url,
      ENTROPIC_TOKEN: alice.token,
    };
    nextStep();
    // script -e runs ds on a new pseudo-terminal (its stdin a TTY) and answers ds's exit code
    const child = spawn('script', ['-qec', `'${process.execPath}' '${DS_BIN}' publish`, '/dev/null'], { cwd: project, env: dsEnv });
    let output = '';
    const waitFor = (text: string, from: number) =>
      new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no "${text}" in:\n${output}`)), 60_000);
        const check = () => {
          if (output.indexOf(text, from) >= 0) {
            clearTimeout(timer);
            child.stdout.off('data', check);
            resolve();
          }
        };
        child.stdout.on('data', check);
        check();
      });
    child.stdout.on('data', (d) => {
      output += d;
    });
    const exited = new Promise<number>((resolve) => child.on('close', (c) => resolve(c ?? -1)));
    await waitFor('Enter one-time password', 0);
    assert.match(output, /requires a one-time password/);
    let mark = output.length;
    child.stdin.write('000000\n');
    await waitFor('Enter one-time password', mark);
    assert.match(output.slice(mark), /wrong, expired or already used/);
    mark = output.length;
    child.stdin.write(`${code()}\n`);
    assert.equal(await exited, 0, output);
    assert.match(output.slice(mark), /\+ alice@[^/]+\/dstty@1\.0\.0/);
    child.stdin.end();
  });
});
