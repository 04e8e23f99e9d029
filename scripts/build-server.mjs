#!/usr/bin/env node
// Bundles the server (our workspaces, not node_modules) into dist/server/ so `npm start` runs plain
// JavaScript: no TypeScript transform in the serving process (about 90 MB less memory, faster
// start). Dependencies stay external and load from node_modules as usual.
import { copyFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
// Inside the server's workspace, so the bundle's bare imports resolve as the sources' do: the
// server's own node_modules first (dependencies npm did not hoist), then the root's.
const outdir = join(root, 'packages/server/dist');
mkdirSync(outdir, { recursive: true });

const externalDependencies = {
  name: 'external-dependencies',
  setup(b) {
    // Bare imports are dependencies (external) except our own @entropic/* workspaces (bundled).
    b.onResolve({ filter: /^[^./]/ }, (args) => (args.path.startsWith('@entropic/') ? undefined : { path: args.path, external: true }));
  },
};

await build({
  entryPoints: {
    main: join(root, 'packages/server/src/main.ts'),
    admin: join(root, 'packages/server/src/admin.ts'),
    worker: join(root, 'packages/server/src/worker.ts'),
  },
  outdir,
  outExtension: { '.js': '.mjs' },
  bundle: true,
  splitting: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: 'linked',
  logLevel: 'warning',
  plugins: [externalDependencies],
});
// Files the server reads next to its code.
for (const file of ['style.css', 'site.js', 'passkeys.js']) copyFileSync(join(root, 'packages/server/src/www', file), join(outdir, file));
