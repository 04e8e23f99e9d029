import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { chromiumMissing } from './support/chromium.ts';
import { useSampleSite } from './support/sample-site.ts';

describe('package pages in a real browser (chromium): every page type, dark theme and phone', {
  skip: chromiumMissing(),
  timeout: 300_000,
}, () => {
  const site = useSampleSite();
  const { newPage, assertAccessible } = site;

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
      await dark.goto(`${site.url}${path}`);
      await assertAccessible(dark, `${path} (dark)`);
      await phone.goto(`${site.url}${path}`);
      // axe on a phone for the page with the most layout (the two columns become one); the rest: width
      if (path === pages[0]) await assertAccessible(phone, `${path} (phone)`);
      const width = await phone.evaluate(() => document.documentElement.scrollWidth);
      assert.ok(width <= 390, `${path} is ${width}px wide on a 390px screen`);
    }
    assert.deepEqual(site.dialogs, [], 'no script from a package ran');
  });
});
