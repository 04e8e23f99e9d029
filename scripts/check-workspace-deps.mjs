#!/usr/bin/env node
// Every workspace declares exactly the workspaces it imports: `@entropic/*` imported from src/ is
// in `dependencies`, from test/ in `dependencies` or `devDependencies`, and nothing declared goes
// unused; a workspace is named as "*" (the one in this repository). (knip checks third-party
// dependencies; it treats workspaces as internal.)
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const IMPORT_RE = /(?:from|import)\s*\(?\s*'(@entropic\/[a-z-]+)/g;

function filesUnder(dir) {
  let entries;
  try {
    entries = readdirSync(dir);
  } catch {
    return [];
  }
  return entries.flatMap((entry) => {
    if (entry === 'node_modules' || entry === 'dist') return [];
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) return filesUnder(path);
    return /\.(ts|mjs|js)$/.test(entry) ? [path] : [];
  });
}

function importsIn(dirs) {
  const found = new Set();
  for (const file of dirs.flatMap(filesUnder)) {
    for (const match of readFileSync(file, 'utf8').matchAll(IMPORT_RE)) found.add(match[1]);
  }
  return found;
}

const problems = [];
const workspaces = [{ dir: root, manifest: 'package.json', src: [], test: ['test', 'bench', 'scripts'] }];
for (const name of readdirSync(join(root, 'packages'))) {
  workspaces.push({ dir: join(root, 'packages', name), manifest: `packages/${name}/package.json`, src: ['src', 'bin'], test: ['test'] });
}
for (const ws of workspaces) {
  const pkg = JSON.parse(readFileSync(join(ws.dir, 'package.json'), 'utf8'));
  const deps = new Set(Object.keys(pkg.dependencies ?? {}).filter((d) => d.startsWith('@entropic/')));
  const devDeps = new Set(Object.keys(pkg.devDependencies ?? {}).filter((d) => d.startsWith('@entropic/')));
  for (const section of ['dependencies', 'devDependencies']) {
    for (const [dep, spec] of Object.entries(pkg[section] ?? {})) {
      if (dep.startsWith('@entropic/') && spec !== '*') problems.push(`${ws.manifest}: ${section} names ${dep} as "${spec}", not "*"`);
    }
  }
  const fromSrc = importsIn(ws.src.map((d) => join(ws.dir, d)));
  const fromTest = importsIn(ws.test.map((d) => join(ws.dir, d)));
  fromSrc.delete(pkg.name);
  fromTest.delete(pkg.name);
  for (const dep of fromSrc) if (!deps.has(dep)) problems.push(`${ws.manifest}: src imports ${dep}, not in "dependencies"`);
  for (const dep of fromTest) {
    if (!deps.has(dep) && !devDeps.has(dep)) problems.push(`${ws.manifest}: tests import ${dep}, not declared`);
  }
  for (const dep of deps) if (!fromSrc.has(dep)) problems.push(`${ws.manifest}: "dependencies" names ${dep}, which src does not import`);
  for (const dep of devDeps) {
    if (!fromTest.has(dep) && !fromSrc.has(dep)) problems.push(`${ws.manifest}: "devDependencies" names ${dep}, which nothing imports`);
  }
}
if (problems.length > 0) {
  console.error(problems.join('\n'));
  process.exit(1);
}
console.log(`workspace dependencies: ${workspaces.length} manifests declare exactly what they import`);
