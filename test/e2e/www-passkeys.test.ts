import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createToken } from '@entropic/core';
import { createTestApp, freePort, type TestApp } from '@entropic/testkit';
import type { Browser, BrowserContext, CDPSession, Page } from 'playwright-core';
import { DS_BIN } from '../../packages/cli/test/support/ds-harness.ts';
import { seriousAxeViolations } from './support/axe.ts';
import { chromiumMissing, launchChromium } from './support/chromium.ts';
import { npmUserEnv, writeProject } from './support/npm-cli.ts';

const STEP_TIMEOUT_MS = 20_000;
/** the DevTools Protocol gives credential ids in base64, WebAuthn (and the registry) in base64url */
const toBase64url = (base64: string) => Buffer.from(base64, 'base64').toString('base64url');

/**
 * Passkeys (issue 10.1/10.8) in a real Chromium with the DevTools Protocol's virtual authenticator
 * (an internal, user-verifying CTAP2 platform authenticator with resident keys). The registry's
 * EXTERNAL_HOST is http://localhost:<port>: WebAuthn needs a secure context (http://localhost is
 * one) and a host name as RP ID (browsers refuse IP addresses, so http://127.0.0.1 cannot be used).
 */
describe('passkeys in a real browser (chromium virtual authenticator)', { skip: chromiumMissing(), timeout: 300_000 }, () => {
  let t: TestApp;
  let url: string;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let cdp: CDPSession;
  let authenticatorId: string;
  /** another origin (same RP ID "localhost", other port): a phishing page relaying to the registry */
  let phisher: Server;
  let phisherUrl: string;
  /** the last assertion the browser sent to POST /www/login/passkey (to replay it) */
  let lastAssertion: Record<string, unknown> | undefined;

  before(async () => {
    const port = await freePort();
    t = await createTestApp({ port, env: { EXTERNAL_HOST: `http://localhost:${port}` } });
    await t.listen();
    url = `http://localhost:${port}`;
    phisher = createServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>not the registry</title><p>hello</p>');
    });
    await new Promise<void>((resolve) => phisher.listen(0, '127.0.0.1', resolve));
    phisherUrl = `http://localhost:${(phisher.address() as { port: number }).port}`;
    browser = await launchChromium();
    context = await browser.newContext();
    page = await context.newPage();
    page.setDefaultTimeout(STEP_TIMEOUT_MS);
    page.setDefaultNavigationTimeout(STEP_TIMEOUT_MS);
    page.on('request', (request) => {
      if (request.method() === 'POST' && new URL(request.url()).pathname === '/www/login/passkey') {
        lastAssertion = (JSON.parse(request.postData() ?? '{}') as { response?: Record<string, unknown> }).response;
      }
    });
    cdp = await context.newCDPSession(page);
    await cdp.send('WebAuthn.enable');
    ({ authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true },
    }));
  });
  after(async () => {
    await browser?.close();
    await t?.close();
    await new Promise((resolve) => phisher?.close(resolve));
  });

  const auditOf = async (username: string) => {
    const user = await t.deps.repos.users.findByName(username);
    assert.ok(user);
    return t.deps.repos.audit.listByActor(user.id, { limit: 50 });
  };
  const signOut = async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(`${url}/www/login`);
  };
  const signedInAs = async () => (await page.getByRole('navigation', { name: 'Account' }).textContent())?.replace(/\s+/g, ' ').trim();

  /** An anonymous website session outside the browser: its cookie and CSRF token (an attacker's, or a replayer's). */
  async function anonymousSession(): Promise<{ cookie: string; csrf: string }> {
    const response = await fetch(`${url}/www/login`);
    const cookie = (response.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    const csrf = /name="_csrf" value="([^"]+)"/.exec(await response.text())?.[1] ?? '';
    assert.ok(cookie && csrf);
    return { cookie, csrf };
  }
  const postJson = (path: string, session: { cookie: string }, body: unknown) =>
    fetch(`${url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie: session.cookie },
      body: JSON.stringify(body),
    });

  it('registers a passkey on the security page, then signs in with it without a password', async () => {
    await page.goto(`${url}/www/signup`);
    await page.getByLabel('Username').fill('pk-user');
    await page.getByLabel('Password', { exact: true }).fill('a long enough password');
    await page.getByLabel('Password, again').fill('a long enough password');
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.waitForURL(`${url}/www/tokens`);

    await page.goto(`${url}/www/account/security`);
    assert.equal(await page.getByTestId('no-passkeys').count(), 1);
    await page.getByLabel('Name of the new passkey').fill('laptop');
    await page.getByRole('button', { name: 'Add a passkey' }).click();
    await page.getByTestId('passkey').first().waitFor();
    assert.match((await page.getByTestId('passkey').textContent()) ?? '', /laptop/);
    assert.match((await page.getByRole('status').first().textContent()) ?? '', /Passkey "laptop" added/);
    const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
    assert.equal(credentials.length, 1);
    assert.equal(credentials[0]?.isResidentCredential, true);
    assert.equal(credentials[0]?.rpId, 'localhost');
    const stored = await t.deps.repos.security.findPasskey(toBase64url(credentials[0]?.credentialId ?? ''));
    assert.ok(stored, 'the credential id the authenticator holds is stored');
    assert.equal(stored.name, 'laptop');
    assert.ok((await auditOf('pk-user')).some((e) => e.action === 'passkey-added' && e.details.name === 'laptop'));

    // passwordless
    await signOut();
    await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
    await page.waitForURL(`${url}/www/tokens`);
    assert.match((await signedInAs()) ?? '', /pk-user/);
    const signIn = (await auditOf('pk-user')).find((e) => e.action === 'sign-in');
    assert.equal(signIn?.details.method, 'passkey');
    const used = await t.deps.repos.security.findPasskey(stored.id);
    assert.ok(used && used.counter > stored.counter, 'the signature counter grew');
    assert.ok(used.lastUsedAt);
  });

  it('asks for the passkey after the password (second step), and a session signed in so may remove it', async () => {
    await signOut();
    await page.getByLabel('Username').fill('pk-user');
    await page.getByLabel('Password').fill('a long enough password');
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.waitForURL(`${url}/www/login/second-factor`);
    // not signed in yet: the password alone opens nothing
    assert.doesNotMatch((await signedInAs()) ?? '', /pk-user/);
    assert.equal(await page.getByLabel('Code from your authenticator app, or a recovery code').count(), 0, 'no TOTP here, no code form');
    await page.getByRole('button', { name: 'Continue with a passkey' }).click();
    await page.waitForURL(`${url}/www/tokens`);
    assert.match((await signedInAs()) ?? '', /pk-user/);
    const signIn = (await auditOf('pk-user')).find((e) => e.action === 'sign-in');
    assert.equal(signIn?.details.method, 'password+passkey');
  });

  it('refuses a replayed assertion: its challenge was spent, in whatever session it is sent again', async () => {
    assert.ok(lastAssertion, 'the browser sent an assertion');
    const before = await t.deps.repos.security.findPasskey(String(lastAssertion.id));
    const attacker = await anonymousSession();
    // the attacker even asks for a fresh challenge of their own first
    assert.equal((await postJson('/www/login/passkey/options', attacker, { _csrf: attacker.csrf })).status, 200);
    const replay = await postJson('/www/login/passkey', attacker, { _csrf: attacker.csrf, response: lastAssertion });
    assert.equal(replay.status, 401);
    assert.equal(((await replay.json()) as { code: string }).code, 'PASSKEY_CHALLENGE_INVALID');
    // not signed in
    const tokens = await fetch(`${url}/www/tokens`, { headers: { cookie: attacker.cookie }, redirect: 'manual' });
    assert.equal(tokens.status, 303);
    assert.equal((await t.deps.repos.security.findPasskey(String(lastAssertion.id)))?.counter, before?.counter, 'nothing changed');
    const failed = (await auditOf('pk-user')).find((e) => e.action === 'sign-in-failed');
    assert.equal(failed?.details.method, 'passkey');
    assert.equal(failed?.details.reason, 'challenge');
  });

  it('refuses an assertion made on another origin (a phishing page relaying the registry challenge)', async () => {
    const attacker = await anonymousSession();
    const options = await (await postJson('/www/login/passkey/options', attacker, { _csrf: attacker.csrf })).json();
    // the same RP ID (localhost), so the authenticator signs; but the browser writes the page's origin into it
    await page.goto(phisherUrl);
    // the phisher copies the registry's own script
    await page.addScriptTag({ content: await (await fetch(`${url}/www/static/webauthn.js`)).text() });
    const response = await page.evaluate(
      async (optionsJSON) =>
        (
          window as unknown as { SimpleWebAuthnBrowser: { startAuthentication(o: unknown): Promise<unknown> } }
        ).SimpleWebAuthnBrowser.startAuthentication({ optionsJSON }),
      options,
    );
    const clientData = JSON.parse(
      Buffer.from((response as { response: { clientDataJSON: string } }).response.clientDataJSON, 'base64url').toString(),
    ) as { origin: string };
    assert.equal(clientData.origin, phisherUrl);
    const relayed = await postJson('/www/login/passkey', attacker, { _csrf: attacker.csrf, response });
    assert.equal(relayed.status, 401);
    assert.equal(((await relayed.json()) as { code: string }).code, 'PASSKEY_INVALID');
    const tokens = await fetch(`${url}/www/tokens`, { headers: { cookie: attacker.cookie }, redirect: 'manual' });
    assert.equal(tokens.status, 303, 'not signed in');
    const failed = (await auditOf('pk-user')).find((e) => e.action === 'sign-in-failed');
    assert.match(String(failed?.details.reason), /origin/i);
  });

  it('refuses a cloned authenticator whose signature counter went back', async () => {
    const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
    const original = credentials[0];
    assert.ok(original && original.signCount > 0);
    // the same key in a second authenticator that starts counting at 1 again
    await cdp.send('WebAuthn.removeVirtualAuthenticator', { authenticatorId });
    ({ authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true },
    }));
    await cdp.send('WebAuthn.addCredential', { authenticatorId, credential: { ...original, signCount: 0 } });
    await page.goto(`${url}/www/tokens`);
    await signOut();
    await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
    await page.getByText('The passkey could not be verified.').waitFor();
    assert.equal(page.url(), `${url}/www/login`);
    const failed = (await auditOf('pk-user')).find((e) => e.action === 'sign-in-failed');
    assert.match(String(failed?.details.reason), /counter/i);
  });

  it('the login, second-step and security pages with passkeys pass axe-core', async () => {
    // axe is injected as an inline script: this context bypasses the CSP the other tests keep
    const axeContext = await browser.newContext({ bypassCSP: true });
    const axePage = await axeContext.newPage();
    axePage.setDefaultTimeout(STEP_TIMEOUT_MS);
    const axeCdp = await axeContext.newCDPSession(axePage);
    await axeCdp.send('WebAuthn.enable');
    await axeCdp.send('WebAuthn.addVirtualAuthenticator', {
      options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true },
    });
    const shot = async (name: string) => {
      if (process.env.PASSKEY_SCREENSHOTS)
        await axePage.screenshot({ path: `${process.env.PASSKEY_SCREENSHOTS}/${name}.png`, fullPage: true });
    };
    await axePage.goto(`${url}/www/signup`);
    await axePage.getByLabel('Username').fill('axe-user');
    await axePage.getByLabel('Password', { exact: true }).fill('a long enough password');
    await axePage.getByLabel('Password, again').fill('a long enough password');
    await axePage.getByRole('button', { name: 'Create account' }).click();
    await axePage.waitForURL(`${url}/www/tokens`);
    await axePage.goto(`${url}/www/account/security`);
    await axePage.getByLabel('Name of the new passkey').fill('phone');
    await axePage.getByRole('button', { name: 'Add a passkey' }).click();
    await axePage.getByTestId('passkey').first().waitFor();
    assert.deepEqual(await seriousAxeViolations(axePage), [], 'security page');
    await shot('security');
    await axePage.getByRole('button', { name: 'Sign out' }).click();
    await axePage.waitForURL(`${url}/www/login`);
    await axePage.getByRole('button', { name: 'Sign in with a passkey' }).waitFor();
    assert.deepEqual(await seriousAxeViolations(axePage), [], 'login page');
    await shot('login');
    await axePage.getByLabel('Username').fill('axe-user');
    await axePage.getByLabel('Password').fill('a long enough password');
    await axePage.getByRole('button', { name: 'Sign in', exact: true }).click();
    await axePage.waitForURL(`${url}/www/login/second-factor`);
    await axePage.getByRole('button', { name: 'Continue with a passkey' }).waitFor();
    assert.deepEqual(await seriousAxeViolations(axePage), [], 'second-factor page');
    await shot('second-factor');
    await axeContext.close();
  });

  it("npm's web second-factor flow: a passkey-only user's token write answers authUrl/doneUrl; approved with the passkey, the poll's code works once", async () => {
    const cliContext = await browser.newContext();
    const cliPage = await cliContext.newPage();
    cliPage.setDefaultTimeout(STEP_TIMEOUT_MS);
    const cliCdp = await cliContext.newCDPSession(cliPage);
    await cliCdp.send('WebAuthn.enable');
    await cliCdp.send('WebAuthn.addVirtualAuthenticator', {
      options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true },
    });
    await cliPage.goto(`${url}/www/signup`);
    await cliPage.getByLabel('Username').fill('cli-user');
    await cliPage.getByLabel('Password', { exact: true }).fill('a long enough password');
    await cliPage.getByLabel('Password, again').fill('a long enough password');
    await cliPage.getByRole('button', { name: 'Create account' }).click();
    await cliPage.waitForURL(`${url}/www/tokens`);
    await cliPage.goto(`${url}/www/account/security`);
    await cliPage.getByRole('button', { name: 'Add a passkey' }).click();
    await cliPage.getByTestId('passkey').first().waitFor();
    await cliPage.getByRole('button', { name: 'Sign out' }).click();
    await cliPage.waitForURL(`${url}/www/login`);

    const user = await t.deps.repos.users.findByName('cli-user');
    assert.ok(user);
    const { token } = await createToken(t.deps, { userId: user.id, description: 'cli', scope: 'publish' });
    const api = (path: string, body: unknown, otp?: string) =>
      fetch(`${url}${path}`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...(otp ? { 'npm-otp': otp } : {}) },
        body: JSON.stringify(body),
      });
    assert.equal((await api('/namespaces/namespace/cli-user/second-factor', { required: true })).status, 200);

    const refused = await api('/namespaces/namespace/cli-user/access', { private: true });
    assert.equal(refused.status, 401);
    assert.equal(refused.headers.get('www-authenticate'), 'OTP');
    const body = (await refused.json()) as { code: string; authUrl: string; doneUrl: string };
    assert.equal(body.code, 'OTP_REQUIRED');
    assert.match(body.authUrl, new RegExp(`^${url}/www/approve/[A-Za-z0-9_-]{43}$`));
    assert.match(body.doneUrl, new RegExp(`^${url}/-/v1/second-factor/poll/[A-Za-z0-9_-]{43}$`));
    const pending = await fetch(body.doneUrl);
    assert.equal(pending.status, 202);
    assert.equal(pending.headers.get('retry-after'), '1');

    // what npm opens: signed out, the page sends the user to sign in (with the passkey) and back
    await cliPage.goto(body.authUrl);
    await cliPage.waitForURL(/\/www\/login/);
    await cliPage.getByRole('button', { name: 'Sign in with a passkey' }).click();
    await cliPage.waitForURL(body.authUrl);
    await cliPage.getByRole('button', { name: 'Approve' }).click();
    await cliPage.getByTestId('approved').waitFor();

    const approved = await fetch(body.doneUrl);
    assert.equal(approved.status, 200);
    const { token: code } = (await approved.json()) as { token: string };
    assert.match(code, /^ent_approve_/);
    assert.equal((await fetch(body.doneUrl)).status, 404, 'handed out once');
    const done = await api('/namespaces/namespace/cli-user/access', { private: true }, code);
    assert.equal(done.status, 200, await done.text());
    const replayed = await api('/namespaces/namespace/cli-user/access', { private: false }, code);
    assert.equal(replayed.status, 401);
    assert.equal(((await replayed.json()) as { code: string }).code, 'OTP_INVALID');

    // the real npm CLI at a terminal (a pseudo-terminal from script(1)); browser=false: it prints the page and polls
    const root = await mkdtemp(join(tmpdir(), 'entropic-passkey-npm-'));
    try {
      const env = await npmUserEnv(root, `${url}/`, 'cli', token, ['browser=false']);
      delete env.CI;
      const project = join(root, 'webflow');
      await writeProject(project, { name: '@cli-user/webflow', version: '1.0.0', main: 'index.js' });
      await writeFile(join(project, 'index.js'), 'module.exports = 1;\n');
      const npm = spawn('script', ['-qec', 'npm publish', '/dev/null'], { cwd: project, env });
      let output = '';
      npm.stdout.on('data', (d) => {
        output += d;
      });
      const exited = new Promise<number>((resolve) => npm.on('close', (c) => resolve(c ?? -1)));
      const pageUrl = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`npm printed no approval page:\n${output}`)), 120_000);
        const check = () => {
          const match = new RegExp(`${url}/www/approve/[A-Za-z0-9_-]{43}`).exec(output);
          if (match) {
            clearTimeout(timer);
            resolve(match[0]);
          }
        };
        npm.stdout.on('data', check);
        npm.on('close', () => {
          clearTimeout(timer);
          reject(new Error(`npm ended without an approval page:\n${output}`));
        });
      });
      assert.match(output, /Authenticate your account at/);
      await cliPage.goto(pageUrl);
      await cliPage.getByRole('button', { name: 'Approve' }).click();
      await cliPage.getByTestId('approved').waitFor();
      assert.equal(await exited, 0, output);
      assert.match(output, /\+ @cli-user\/webflow@1\.0\.0/);
      npm.stdin.end();

      // ds at a terminal follows the same flow: it prints the page and polls
      const dsEnv = {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        HOME: root,
        NO_COLOR: '1',
        TERM: 'dumb',
        ENTROPIC_REGISTRY: url,
        ENTROPIC_TOKEN: token,
      };
      const ds = spawn('script', ['-qec', `'${process.execPath}' '${DS_BIN}' access set public cli-user`, '/dev/null'], {
        cwd: root,
        env: dsEnv,
      });
      let dsOutput = '';
      ds.stdout.on('data', (d) => {
        dsOutput += d;
      });
      const dsExited = new Promise<number>((resolve) => ds.on('close', (c) => resolve(c ?? -1)));
      const dsPage = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`ds printed no approval page:\n${dsOutput}`)), 120_000);
        ds.stdout.on('data', () => {
          const match = new RegExp(`${url}/www/approve/[A-Za-z0-9_-]{43}`).exec(dsOutput);
          if (match) {
            clearTimeout(timer);
            resolve(match[0]);
          }
        });
        ds.on('close', () => {
          clearTimeout(timer);
          reject(new Error(`ds ended without an approval page:\n${dsOutput}`));
        });
      });
      assert.match(dsOutput, /Approve it with your passkey/);
      await cliPage.goto(dsPage);
      await cliPage.getByRole('button', { name: 'Approve' }).click();
      await cliPage.getByTestId('approved').waitFor();
      assert.equal(await dsExited, 0, dsOutput);
      ds.stdin.end();
      const visibility = (await (await fetch(`${url}/namespaces/namespace/cli-user/access`)).json()) as { private: boolean };
      assert.equal(visibility.private, false, 'ds made the namespace public after the approval');
    } finally {
      await rm(root, { recursive: true, force: true });
    }
    await cliContext.close();
  });

  it('lists and removes a passkey (audit: passkey-removed); it then signs in no more', async () => {
    // sign in with the password (the cloned authenticator's counter is refused; give it the real count back)
    const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
    const stored = await t.deps.repos.security.findPasskey(toBase64url(credentials[0]?.credentialId ?? ''));
    assert.ok(stored && credentials[0]);
    await cdp.send('WebAuthn.removeCredential', { authenticatorId, credentialId: credentials[0].credentialId });
    await cdp.send('WebAuthn.addCredential', { authenticatorId, credential: { ...credentials[0], signCount: stored.counter } });
    await page.goto(`${url}/www/login`);
    await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
    await page.waitForURL(`${url}/www/tokens`);

    await page.goto(`${url}/www/account/security`);
    await page.getByRole('button', { name: 'Remove passkey laptop' }).click();
    await page.waitForURL(`${url}/www/account/security`);
    assert.equal(await page.getByTestId('passkey').count(), 0);
    assert.equal(await t.deps.repos.security.findPasskey(stored.id), undefined);
    assert.ok((await auditOf('pk-user')).some((e) => e.action === 'passkey-removed' && e.details.passkey === stored.id));

    await signOut();
    await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
    await page.getByText('The passkey could not be verified.').waitFor();
    // and the password alone signs in again (no second factor left)
    await page.getByLabel('Username').fill('pk-user');
    await page.getByLabel('Password').fill('a long enough password');
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.waitForURL(`${url}/www/tokens`);
  });
});
