import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestApp, type TestApp } from '@entropic/testkit';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { seriousAxeViolations } from './support/axe.ts';
import { chromiumMissing, launchChromium } from './support/chromium.ts';
import { publishSamplePackages } from './support/sample-packages.ts';

const STEP_TIMEOUT_MS = 20_000;

describe('package pages in a real browser (chromium): every page type, dark theme and phone', {
  skip: chromiumMissing(),
  timeout: 300_000,
}, () => {
  let t: TestApp;
  let url: string;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  const dialogs: string[] = [];

  before(async () => {
    t = await createTestApp();
    url = await t.listen();
    const user = await t.createUser('astronaut');
    await publishSamplePackages(t.app, user.token);
    await t.runJobs(); // READMEs are rendered by the render-readme job
    browser = await launchChromium();
  });
  after(async () => {
    for (const context of contexts) await context.close().catch(() => {});
    await browser?.close();
    await t?.close();
  });

  async function newPage(options: { phone?: boolean; dark?: boolean } = {}): Promise<Page> {
    const context = await browser.newContext({
      ...(options.phone ? { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true } : {}),
      colorScheme: options.dark ? 'dark' : 'light',
      // axe-core is injected as an inline script, which the site's CSP refuses
      bypassCSP: true,
      permissions: ['clipboard-read', 'clipboard-write'],
    });
    contexts.push(context);
    const page = await context.newPage();
    page.setDefaultTimeout(STEP_TIMEOUT_MS);
    page.setDefaultNavigationTimeout(STEP_TIMEOUT_MS);
    // a script from a README or a file that ran would open a dialog
    page.on('dialog', (dialog) => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    });
    return page;
  }

  async function assertAccessible(page: Page, what: string): Promise<void> {
    const violations = await seriousAxeViolations(page);
    assert.deepEqual(violations, [], `${what}: serious or critical axe-core violations: ${JSON.stringify(violations)}`);
  }

  it('every page type passes axe-core in the dark theme and fits a phone screen', async () => {
    const pages = [
      '/www/packages/acme/rocket-lib',
      '/www/packages/acme/rocket-lib/v/1.0.0',
      '/www/packages/acme/rocket-lib/versions',
      '/www/packages/acme/rocket-lib/v/1.1.0/files',
      '/www/packages/acme/rocket-lib/v/1.1.0/files/index.js',
      '/www/packages/acme/rocket-lib/v/1.1.0/files/docs/guide.md',
      '/www/packages/acme/rocket-lib/v/1.1.0/files/logo.png',
      '/www/packages/acme/rocket-lib/diff/1.0.0..1.1.0',
      '/www/packages/acme/nothing-here',
      // the pages that lead to packages: home, search, namespaces, a namespace, a user
      '/www',
      '/www/search?q=rocket',
      '/www/namespaces',
      '/www/namespaces/acme',
      '/www/users/astronaut',
    ];
    const dark = await newPage({ dark: true });
    const phone = await newPage({ phone: true });
    for (const path of pages) {
      await dark.goto(`${url}${path}`);
      await assertAccessible(dark, `${path} (dark)`);
      await phone.goto(`${url}${path}`);
      // axe on a phone for the page with the most layout (the two columns become one); the rest: width
      if (path === pages[0]) await assertAccessible(phone, `${path} (phone)`);
      const width = await phone.evaluate(() => document.documentElement.scrollWidth);
      assert.ok(width <= 390, `${path} is ${width}px wide on a 390px screen`);
    }
    assert.deepEqual(dialogs, [], 'no script from a package ran');
  });
});
