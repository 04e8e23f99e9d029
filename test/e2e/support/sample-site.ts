import assert from 'node:assert/strict';
import { after, before } from 'node:test';
import { createTestApp, type TestApp } from '@entropic/testkit';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { seriousAxeViolations } from './axe.ts';
import { launchChromium } from './chromium.ts';
import { publishSamplePackages } from './sample-packages.ts';

const STEP_TIMEOUT_MS = 20_000;

export interface SampleSite {
  /** the listening registry's base URL (set once `before` ran) */
  readonly url: string;
  /** messages of dialogs any page opened: a script from a package that ran would open one */
  readonly dialogs: string[];
  newPage(options?: { phone?: boolean; dark?: boolean }): Promise<Page>;
  assertAccessible(page: Page, what: string): Promise<void>;
}

/**
 * For a describe block: a listening test registry holding the sample packages (READMEs rendered
 * by their job) and a chromium, both stopped after the block. Pages get clipboard access and
 * skip the site's CSP (axe-core is injected as an inline script).
 */
export function useSampleSite(): SampleSite {
  let t: TestApp | undefined;
  let browser: Browser | undefined;
  const contexts: BrowserContext[] = [];
  const site = {
    url: '',
    dialogs: [] as string[],
    async newPage(options: { phone?: boolean; dark?: boolean } = {}): Promise<Page> {
      const context = await (browser as Browser).newContext({
        ...(options.phone ? { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true } : {}),
        colorScheme: options.dark ? 'dark' : 'light',
        bypassCSP: true,
        permissions: ['clipboard-read', 'clipboard-write'],
      });
      contexts.push(context);
      const page = await context.newPage();
      page.setDefaultTimeout(STEP_TIMEOUT_MS);
      page.setDefaultNavigationTimeout(STEP_TIMEOUT_MS);
      page.on('dialog', (dialog) => {
        site.dialogs.push(dialog.message());
        void dialog.dismiss();
      });
      return page;
    },
    async assertAccessible(page: Page, what: string): Promise<void> {
      const violations = await seriousAxeViolations(page);
      assert.deepEqual(violations, [], `${what}: serious or critical axe-core violations: ${JSON.stringify(violations)}`);
    },
  };
  before(async () => {
    t = await createTestApp();
    site.url = await t.listen();
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
  return site;
}
