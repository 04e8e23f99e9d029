// Issue 9.1/9.5 on the website in a real browser: a member sees the namespace's teams (members and
// grants), makes the namespace private and public again, and makes one package private and public
// from its access page; the registry's answers to outsiders follow each click.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createToken } from '@entropic/core';
import { bearer, createTestApp, publishVersion, type TestApp } from '@entropic/testkit';
import type { Browser, Page } from 'playwright-core';
import { chromiumMissing, launchChromium } from './support/chromium.ts';

const STEP_TIMEOUT_MS = 15_000;

describe('private packages and teams on the website (chromium)', { skip: chromiumMissing(), timeout: 240_000 }, () => {
  let t: TestApp;
  let url: string;
  let browser: Browser;
  let page: Page;
  /** alice's API token (she signs up in the browser first) */
  let token: string;
  const put = async (path: string, payload?: Record<string, unknown>) => {
    const res = await t.app.inject({ method: 'PUT', url: path, headers: bearer(token), ...(payload ? { payload } : {}) });
    assert.ok(res.statusCode < 300, `${path}: ${res.statusCode} ${res.body}`);
  };

  /** clicks a form's button and waits for the page the redirect lands on */
  const submit = async (name: string) => {
    await Promise.all([page.waitForNavigation(), page.getByRole('button', { name }).click()]);
  };
  const anonymous = async (path: string) => (await fetch(`${url}${path}`)).status;

  before(async () => {
    t = await createTestApp();
    url = await t.listen();
    browser = await launchChromium();
    const context = await browser.newContext();
    page = await context.newPage();
    page.setDefaultTimeout(STEP_TIMEOUT_MS);
    page.setDefaultNavigationTimeout(STEP_TIMEOUT_MS);
  });
  after(async () => {
    await browser?.close();
    await t?.close();
  });

  it('a member sees teams, and makes the namespace and then one package private and public again', async () => {
    await page.goto(`${url}/www/signup`);
    await page.getByLabel('Username').fill('alice');
    await page.getByLabel('Password', { exact: true }).fill('a long enough password');
    await page.getByLabel('Password, again').fill('a long enough password');
    await submit('Create account');

    const alice = await t.deps.db.selectFrom('users').select('id').where('name', '=', 'alice').executeTakeFirstOrThrow();
    token = (await createToken(t.deps, { userId: alice.id, description: 'api', scope: 'publish' })).token;
    const bob = await t.createUser('bob');
    await put('/namespaces/namespace/acme');
    await publishVersion(t.app, 'acme/web', '1.0.0', { token });
    await put('/namespaces/namespace/acme/teams/devs', { description: 'the developers' });
    await put(`/namespaces/namespace/acme/teams/devs/members/${bob.name}`);
    await put('/namespaces/namespace/acme/teams/devs/grants', { package: 'acme/web', permission: 'write' });

    await page.goto(`${url}/www/namespaces/acme`);
    const team = page.locator('[data-team="devs"]');
    assert.match((await team.textContent()) ?? '', /acme:devs\s*· the developers/);
    assert.match((await team.locator('[data-team-members]').textContent()) ?? '', /members:\s+bob\s/);
    assert.match((await team.locator('[data-team-grants]').textContent()) ?? '', /grants:\s+write on acme@[^/]+\/web/);

    assert.equal(await anonymous('/@acme/web'), 200);
    await submit('Make the namespace private');
    assert.match((await page.getByTestId('namespace-visibility').textContent()) ?? '', /^Private/);
    assert.equal(await anonymous('/@acme/web'), 404, 'the namespace’s package is absent to outsiders at once');
    assert.equal(await anonymous('/www/packages/acme/web'), 404);
    await submit('Make the namespace public');
    assert.match((await page.getByTestId('namespace-visibility').textContent()) ?? '', /^Public/);
    assert.equal(await anonymous('/@acme/web'), 200);

    await page.getByRole('link', { name: /^Access to acme@.*\/web$/ }).click();
    await page.waitForURL(/\/www\/packages\/acme@[^/]+\/web\/access$/);
    assert.match((await page.getByTestId('visibility').textContent()) ?? '', /^Public/);
    await submit('Make it private');
    assert.match((await page.getByRole('status').textContent()) ?? '', /is now private/);
    assert.match((await page.getByTestId('visibility').textContent()) ?? '', /^Private/);
    assert.equal(await anonymous('/@acme/web'), 404);
    assert.equal(await anonymous('/www/packages/acme/web/access'), 404, 'its access page too');
    // bob's team grant lets him read it
    assert.equal((await fetch(`${url}/@acme/web`, { headers: bearer(bob.token) })).status, 200);
    await submit('Make it public');
    assert.match((await page.getByTestId('visibility').textContent()) ?? '', /^Public/);
    assert.equal(await anonymous('/@acme/web'), 200);
    // a reader who maintains nothing sees the setting, not the button
    const outsider = await (await fetch(`${url}/www/packages/acme/web/access`)).text();
    assert.match(outsider, /Only its maintainers can change this/);
    assert.doesNotMatch(outsider, /Make it private/);
  });

  it('a member creates a team, adds a user, grants and revokes, removes the user and deletes the team from the namespace page', async () => {
    const carol = await t.createUser('carol');
    await page.goto(`${url}/www/namespaces/acme`);
    await page.getByLabel(/^Create a team in acme@/).fill('ops');
    await page.getByLabel('Description (optional)').fill('on call');
    await submit('Create team');
    assert.equal(await page.getByRole('status').textContent(), 'Created team acme:ops.');
    await page.getByLabel('Add a user to acme:ops').fill('carol');
    await Promise.all([page.waitForNavigation(), page.locator('[data-team="ops"]').getByRole('button', { name: 'Add' }).click()]);
    assert.equal(await page.getByRole('status').textContent(), 'Added carol to acme:ops.');

    await put('/packages/package/acme/web/access', { private: true });
    const carolReads = async () => (await fetch(`${url}/@acme/web`, { headers: bearer(carol.token) })).status;
    assert.equal(await carolReads(), 404, 'no grant yet');
    await page.getByLabel('Grant acme:ops').selectOption('read');
    await page
      .getByLabel(/^on the package/)
      .last()
      .fill('acme/web');
    await Promise.all([page.waitForNavigation(), page.locator('[data-team="ops"]').getByRole('button', { name: 'Grant' }).click()]);
    assert.match((await page.getByRole('status').textContent()) ?? '', /acme:ops may now read acme\/web/);
    assert.match((await page.locator('[data-team="ops"] [data-team-grants]').textContent()) ?? '', /read on acme@[^/]+\/web/);
    assert.equal(await carolReads(), 200, 'the team grant lets carol read the private package');

    await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: /^Revoke acme:ops's grant on acme@.*\/web$/ }).click()]);
    assert.match((await page.getByRole('status').textContent()) ?? '', /Revoked acme:ops's grant on acme\/web/);
    assert.equal(await carolReads(), 404, 'revoked: the next read is refused');
    await submit('Remove carol from acme:ops');
    assert.equal(await page.getByRole('status').textContent(), 'Removed carol from acme:ops.');
    await submit('Delete acme:ops');
    assert.equal(await page.getByRole('status').textContent(), 'Deleted team acme:ops.');
    assert.equal(await page.locator('[data-team="ops"]').count(), 0);
    await put('/packages/package/acme/web/access', { private: false });
  });
});
