import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestApp, type TestApp } from '@entropic/testkit';
import type { Browser } from 'playwright-core';
import { chromiumMissing, launchChromium } from './support/chromium.ts';

describe('the API page in a real browser (chromium)', { skip: chromiumMissing(), timeout: 240_000 }, () => {
  let t: TestApp;
  let url: string;
  let browser: Browser;
  before(async () => {
    t = await createTestApp();
    url = await t.listen();
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await t?.close();
  });

  it('renders the operations of the OpenAPI document, loading nothing from another host', async () => {
    const page = await browser.newPage();
    const elsewhere: string[] = [];
    const failed: string[] = [];
    page.on('request', (request) => {
      if (!request.url().startsWith(url) && !request.url().startsWith('data:')) elsewhere.push(request.url());
    });
    page.on('requestfailed', (request) => failed.push(request.url()));
    await page.goto(`${url}/-/api/`, { timeout: 60_000 });
    // Swagger UI has fetched ./json and drawn one block per operation (a bound on the render, not a speed goal)
    await page.waitForSelector('.opblock', { timeout: 60_000 });
    const operations = await page.locator('.opblock').count();
    assert.ok(operations >= 30, `${operations} operations rendered`);
    const text = (await page.locator('#swagger-ui').textContent()) ?? '';
    assert.match(text, /Entropic registry API/);
    assert.match(text, /\/packages\/package\/\{namespace\}\/\{name\}\/versions\/\{version\}/);
    assert.deepEqual(elsewhere, [], 'no request left this server');
    assert.deepEqual(failed, [], 'no request failed');
    await page.close();
  });
});
