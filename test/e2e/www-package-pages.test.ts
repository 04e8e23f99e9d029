import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { chromiumMissing } from './support/chromium.ts';
import { useSampleSite } from './support/sample-site.ts';

/** how long the search index may take to show a package published a moment ago (indexing is off the request path) */
const INDEXED_WITHIN_MS = 60_000;

describe('package pages in a real browser (chromium)', { skip: chromiumMissing(), timeout: 300_000 }, () => {
  const site = useSampleSite();
  const { newPage, assertAccessible } = site;

  it('finds a package by search from the home page, reads it, browses a file, diffs two versions and copies the install command', async () => {
    const page = await newPage();
    await page.goto(`${site.url}/www`);
    // the search index is filled off the request path: search again until the package shows (bounded)
    const deadline = Date.now() + INDEXED_WITHIN_MS;
    const result = page.getByRole('link', { name: '@acme/rocket-lib' });
    for (;;) {
      await page.getByLabel('Search packages').fill('rocket');
      await page.getByLabel('Search packages').press('Enter');
      await page.waitForURL(/\/www\/search\?q=rocket/);
      if ((await result.count()) > 0) break;
      assert.ok(Date.now() < deadline, `search did not list @acme/rocket-lib within ${INDEXED_WITHIN_MS} ms`);
      await page.waitForTimeout(500);
    }
    await assertAccessible(page, 'search page');
    await result.first().click();

    await page.waitForURL(/\/www\/packages\/acme@[^/]+\/rocket-lib$/);
    assert.match((await page.locator('main > h1').textContent()) ?? '', /acme@.+\/rocket-lib/);
    await page.getByRole('article', { name: 'README' }).getByText('A small library that launches rockets').waitFor();
    assert.equal(await page.getByTestId('shown-version').textContent(), '1.1.0');
    assert.equal(await page.getByTestId('signature').textContent(), 'signed by this host');
    await page.getByRole('link', { name: /acme@.+\/launchpad/ }).waitFor(); // a dependent
    await assertAccessible(page, 'package page');

    await page.getByRole('button', { name: 'Copy the npm command' }).click();
    await page.getByText('Copied: npm install @acme/rocket-lib').waitFor();
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), 'npm install @acme/rocket-lib');

    await page.getByRole('link', { name: /^Files \(\d+\)$/ }).click();
    await page.getByTestId('tree').waitFor();
    await assertAccessible(page, 'file tree');
    await page.getByRole('link', { name: 'index.js' }).click();
    await page.waitForURL(/\/files\/index\.js$/);
    const code = page.getByTestId('code');
    assert.equal(await code.getAttribute('data-language'), 'javascript');
    assert.ok((await code.locator('.hljs-keyword').count()) > 0, 'highlighted');
    // highlighted keywords are coloured unlike the plain text around them
    const [keywordColour, plainColour] = await code.evaluate((el) => [
      getComputedStyle(el.querySelector('.hljs-keyword') as Element).color,
      getComputedStyle(el).color,
    ]);
    assert.notEqual(keywordColour, plainColour);
    await assertAccessible(page, 'file page');

    await page.goto(`${site.url}/www/packages/acme/rocket-lib`);
    await page.getByRole('link', { name: 'Changes since 1.0.0' }).click();
    await page.waitForURL(/\/diff\/1\.0\.0\.\.1\.1\.0$/);
    assert.match((await page.getByTestId('diff-summary').textContent()) ?? '', /^6 files differ/);
    const diff = page.locator('section.diff-file', { has: page.getByRole('link', { name: 'index.js', exact: true }) }).getByTestId('diff');
    assert.ok((await diff.locator('.add').count()) > 0 && (await diff.locator('.del').count()) > 0);
    await assertAccessible(page, 'diff page');
    assert.deepEqual(site.dialogs, [], 'no script from a package ran');
  });

  it('is usable from the keyboard: the skip link, then the install command copy button', async () => {
    const page = await newPage();
    await page.goto(`${site.url}/www/packages/acme/rocket-lib`);
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Skip to content');
    await page.keyboard.press('Enter');
    assert.match(page.url(), /#main$/);
    const copy = page.getByRole('button', { name: 'Copy the ds command' });
    await copy.focus();
    await page.keyboard.press('Enter');
    await page.getByText('Copied: ds install acme/rocket-lib').waitFor();
  });
});
