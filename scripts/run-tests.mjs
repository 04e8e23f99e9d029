#!/usr/bin/env node
// Runs every *.test.ts under packages/*/test and test/ with node:test (Node 20 has no --test globs).
// Extra arguments narrow the run: `npm test -- blobs` runs only files whose path contains "blobs".
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const roots = ['packages', 'test'];
const filters = process.argv.slice(2);
const files = [];
function walk(dir) {
  let entries;
  try {
    entries = readdirSync(dir);
  } catch {
    return;
  }
  for (const entry of entries) {
    if (entry === 'node_modules') continue;
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) walk(path);
    else if (entry.endsWith('.test.ts') && (path.includes('/test/') || path.startsWith('test/'))) files.push(path);
  }
}
for (const root of roots) walk(root);
const selected = files.filter((f) => filters.length === 0 || filters.some((x) => f.includes(x))).sort();
if (selected.length === 0) {
  console.error('no test files matched');
  process.exit(1);
}
const concurrency = process.env.TEST_CONCURRENCY ?? '2';
const result = spawnSync(
  process.execPath,
  // --test-force-exit: a file whose tests are done exits even if a handle leaked (CI never hangs on one);
  // --test-timeout: no single test runs longer than 5 minutes unless it says so.
  [
    '--import',
    'tsx',
    '--test',
    `--test-concurrency=${concurrency}`,
    '--test-force-exit',
    '--test-timeout=300000',
    '--test-reporter=spec',
    ...selected,
  ],
  { stdio: 'inherit', env: { ...process.env, NODE_ENV: process.env.NODE_ENV ?? 'testing' } },
);
process.exit(result.status ?? 1);
