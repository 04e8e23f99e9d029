// Regenerates docs/screenshots/: every website page type at desktop and phone width, in the light
// theme (and the package page in the dark one), against a throw-away registry with the browser
// test's sample packages. Run: npm run screenshots (needs /usr/bin/chromium or CHROMIUM_PATH).
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { createTestApp } from '@entropic/testkit';
import { launchChromium } from '../test/e2e/support/chromium.ts';
import { publishSamplePackages } from '../test/e2e/support/sample-packages.ts';

const OUT = join(import.meta.dirname, '..', 'docs', 'screenshots');

const PAGES: Array<[name: string, path: string]> = [
  ['home', '/www'],
  ['search', '/www/search?q=rocket'],
  ['package', '/www/packages/acme/rocket-lib'],
  ['versions', '/www/packages/acme/rocket-lib/versions'],
  ['files', '/www/packages/acme/rocket-lib/v/1.1.0/files'],
  ['file', '/www/packages/acme/rocket-lib/v/1.1.0/files/index.js'],
  ['markdown-file', '/www/packages/acme/rocket-lib/v/1.1.0/files/docs/guide.md'],
  ['diff', '/www/packages/acme/rocket-lib/diff/1.0.0..1.1.0'],
  ['namespace', '/www/namespaces/acme'],
  ['not-found', '/www/packages/acme/nothing-here'],
];

const SIZES = {
  desktop: { viewport: { width: 1280, height: 900 } },
  phone: { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 1 },
};

const t = await createTestApp();
const browser = await launchChromium().catch(async (error) => {
  await t.close();
  throw error;
});
try {
  const url = await t.listen();
  const user = await t.createUser('astronaut');
  await publishSamplePackages(t.app, user.token);
  await t.runJobs(); // READMEs are rendered by the render-readme job
  // a few installs, so the home page's "most downloaded" and the package page's counts show numbers
  for (const [name, file, times] of [
    ['@acme/rocket-lib', 'rocket-lib-1.1.0.tgz', 12],
    ['@acme/rocket-lib', 'rocket-lib-1.0.0.tgz', 3],
    ['@acme/launchpad', 'launchpad-0.1.0.tgz', 5],
  ] as const) {
    for (let i = 0; i < times; i++) {
      const res = await fetch(`${url}/${name}/-/${file}`);
      if (res.status !== 200) throw new Error(`GET ${name}/-/${file} answered ${res.status}`);
      await res.arrayBuffer();
    }
  }
  await t.app.downloads?.flush();
  // the search index is filled off the request path: wait (bounded) until it lists the sample
  for (let i = 0; i < 60; i++) {
    const found = await fetch(`${url}/-/v1/search?text=rocket`).then((r) => r.json() as Promise<{ total?: number }>);
    if ((found.total ?? 0) > 0) break;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  await mkdir(OUT, { recursive: true });
  const shots: Array<[file: string, size: keyof typeof SIZES, scheme: 'light' | 'dark', path: string]> = [];
  for (const [name, path] of PAGES)
    for (const size of ['desktop', 'phone'] as const) shots.push([`${name}-${size}.png`, size, 'light', path]);
  shots.push(['package-desktop-dark.png', 'desktop', 'dark', '/www/packages/acme/rocket-lib']);
  for (const [file, size, scheme, path] of shots) {
    const context = await browser.newContext({ ...SIZES[size], colorScheme: scheme });
    const page = await context.newPage();
    await page.goto(`${url}${path}`, { waitUntil: 'load', timeout: 60_000 });
    await page.screenshot({ path: join(OUT, file), fullPage: size === 'desktop' });
    await context.close();
    console.log(`docs/screenshots/${file}  ${path}`);
  }
} finally {
  await browser.close();
  await t.close();
}
