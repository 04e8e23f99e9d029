import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestApp, type GithubStandIn, startGithubStandIn, type TestApp } from '@entropic/testkit';
import { OAuth2Server } from 'oauth2-mock-server';
import type { Browser, Page } from 'playwright-core';
import { chromiumMissing, launchChromium } from './support/chromium.ts';

const STEP_TIMEOUT_MS = 15_000;

describe('website in a real browser (chromium)', { skip: chromiumMissing(), timeout: 240_000 }, () => {
  let t: TestApp;
  let url: string;
  let github: GithubStandIn;
  let oidc: OAuth2Server;
  let browser: Browser;

  before(async () => {
    github = await startGithubStandIn({ id: 777, login: 'GitHubber', email: null });
    oidc = new OAuth2Server();
    await oidc.issuer.keys.generate('RS256');
    await oidc.start(0, '127.0.0.1');
    oidc.service.on('beforeTokenSigning', (token: { payload: Record<string, unknown> }) => {
      token.payload.sub = 'sso-subject-1';
      token.payload.preferred_username = 'sso.person';
    });
    t = await createTestApp({
      env: {
        ...github.env,
        OIDC_ISSUER: oidc.issuer.url as string,
        OIDC_CLIENT_ID: 'entropic',
        OIDC_CLIENT_SECRET: 's3cret',
        OIDC_NAME: 'Example SSO',
      },
    });
    url = await t.listen();
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await t?.close();
    await github?.close();
    await oidc?.stop();
  });

  async function newPage(options: { phone?: boolean } = {}): Promise<Page> {
    const context = await browser.newContext(
      options.phone ? { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true } : {},
    );
    const page = await context.newPage();
    page.setDefaultTimeout(STEP_TIMEOUT_MS);
    page.setDefaultNavigationTimeout(STEP_TIMEOUT_MS);
    return page;
  }

  const whoami = async (token: string) => (await fetch(`${url}/-/whoami`, { headers: { authorization: `Bearer ${token}` } })).status;

  it('signs up with a local account, creates a token and revokes it (on a phone-sized screen)', async () => {
    const page = await newPage({ phone: true });
    await page.goto(`${url}/www`);
    // the home page: sign in from the header
    await page.getByRole('navigation', { name: 'Account' }).getByRole('link', { name: 'Sign in' }).click();
    assert.equal(await page.locator('h1').textContent(), 'Sign in');
    await page.getByRole('link', { name: 'Create an account' }).click();
    await page.getByLabel('Username').fill('browser-user');
    await page.getByLabel('Password', { exact: true }).fill('a long enough password');
    await page.getByLabel('Password, again').fill('a long enough password');
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.waitForURL(`${url}/www/tokens`);
    assert.equal(await page.locator('h1').textContent(), 'Tokens for browser-user');
    // readable on a phone: nothing wider than the screen
    assert.ok((await page.evaluate(() => document.documentElement.scrollWidth)) <= 390);

    await page.getByLabel('Description').fill('from chromium');
    await page.getByLabel('Scope').selectOption('publish');
    await page.getByLabel('Expires after').selectOption('30');
    await page.getByRole('button', { name: 'Create token' }).click();
    const token = (await page.getByTestId('new-token').textContent())?.trim() ?? '';
    assert.match(token, /^ent_v1_[0-9a-f-]{36}$/);
    assert.equal(await whoami(token), 200);

    await page.goto(`${url}/www/tokens`);
    assert.equal(await page.getByTestId('new-token').count(), 0, 'shown once');
    await page.getByRole('button', { name: 'Revoke from chromium' }).click();
    await page.getByText('The token was revoked').waitFor();
    assert.equal(await whoami(token), 401);

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(`${url}/www/login`);
    await page.goto(`${url}/www/tokens`);
    assert.match(page.url(), /\/www\/login\?next=/);
    await page.context().close();
  });

  it('creates an organisation from the home page, and finds it on the namespace list', async () => {
    const page = await newPage();
    await page.goto(`${url}/www/signup`);
    await page.getByLabel('Username').fill('org-founder');
    await page.getByLabel('Password', { exact: true }).fill('a long enough password');
    await page.getByLabel('Password, again').fill('a long enough password');
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.waitForURL(`${url}/www/tokens`);
    await page.goto(`${url}/www`);
    await page.getByRole('link', { name: 'Create an organisation' }).click();
    await page.getByLabel('Name').fill('founders');
    await page.getByRole('button', { name: 'Create organisation' }).click();
    await page.waitForURL(/\/www\/namespaces\/founders%40/);
    assert.equal(await page.locator('h1').textContent(), `founders@${t.host}`);
    await page.getByText('you are its first member').waitFor();
    await page.goto(`${url}/www`);
    await page.getByRole('link', { name: 'All namespaces' }).click();
    await page.getByRole('link', { name: `founders@${t.host}` }).click();
    assert.equal(await page.locator('h1').textContent(), `founders@${t.host}`);
    await page.context().close();
  });

  it('signs in through the GitHub stand-in', async () => {
    const page = await newPage();
    await page.goto(`${url}/www/login`);
    await page.getByRole('link', { name: 'Continue with GitHub' }).click();
    await page.waitForURL(`${url}/www/signup`);
    assert.equal(await page.getByLabel('Username').inputValue(), 'githubber');
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.waitForURL(`${url}/www/tokens`);
    assert.equal(await page.locator('h1').textContent(), 'Tokens for githubber');
    const cookies = await page.context().cookies();
    const session = cookies.find((c) => c.name === 'entropic_session');
    assert.ok(session?.httpOnly);
    assert.equal(session?.sameSite, 'Lax');
    await page.context().close();
  });

  it('signs in through an OpenID Connect provider (oauth2-mock-server)', async () => {
    const page = await newPage();
    await page.goto(`${url}/www/login`);
    await page.getByRole('link', { name: 'Continue with Example SSO' }).click();
    await page.waitForURL(`${url}/www/signup`);
    await page.getByLabel('Username').fill('sso-person');
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.waitForURL(`${url}/www/tokens`);
    assert.equal(await page.locator('h1').textContent(), 'Tokens for sso-person');
    // a second visit signs straight in
    const again = await newPage();
    await again.goto(`${url}/www/login`);
    await again.getByRole('link', { name: 'Continue with Example SSO' }).click();
    await again.waitForURL(`${url}/www/tokens`);
    assert.equal(await again.locator('h1').textContent(), 'Tokens for sso-person');
    await page.context().close();
    await again.context().close();
  });
});
