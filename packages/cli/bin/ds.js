#!/usr/bin/env node
// The `ds` binary. Runs the bundle (`npm run build -w @entropic/cli`) when it is newer than every
// source file it was built from; otherwise the TypeScript sources through tsx (no build needed).
import { readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const bundle = join(here, '../dist/ds.mjs');
const sources = [join(here, '../src'), join(here, '../../client/src'), join(here, '../../types/src')];

function newestSource() {
  let newest = 0;
  for (const dir of sources) {
    try {
      for (const entry of readdirSync(dir, { recursive: true })) newest = Math.max(newest, statSync(join(dir, String(entry))).mtimeMs);
    } catch {
      // a missing source tree (installed without sources) does not make the bundle stale
    }
  }
  return newest;
}

let fresh = false;
try {
  fresh = statSync(bundle).mtimeMs >= newestSource();
} catch {
  fresh = false;
}
if (fresh) {
  await import(bundle);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/main.ts');
}
