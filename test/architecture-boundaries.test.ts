// Issue 13's boundaries, checked on every run: the domain and the npm protocol speak no SQL, no
// route or page invalidates a cache by hand (caches follow domain events), and core names no
// HTTP header (the edge owns them).
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';

const root = join(import.meta.dirname, '..');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) return sources(path);
    return entry.endsWith('.ts') ? [path] : [];
  });
}

/** Every `file:line: text` under `dirs` whose line matches `pattern`. */
function grep(pattern: RegExp, dirs: string[]): string[] {
  return dirs.flatMap((dir) =>
    sources(join(root, dir)).flatMap((file) =>
      readFileSync(file, 'utf8')
        .split('\n')
        .flatMap((line, i) => (pattern.test(line) ? [`${relative(root, file)}:${i + 1}: ${line.trim()}`] : [])),
    ),
  );
}

describe('architecture boundaries (issue 13)', () => {
  it('core, npm, routes and pages import neither kysely nor the db workspace', () => {
    const dirs = ['packages/core/src', 'packages/npm/src', 'packages/server/src/routes', 'packages/server/src/www'];
    assert.deepEqual(grep(/from 'kysely'|@entropic\/db/, dirs), []);
  });

  it('no route or page invalidates a cache by hand', () => {
    assert.deepEqual(grep(/invalidate\(/, ['packages/server/src/routes', 'packages/server/src/www']), []);
  });

  it('core names no HTTP header', () => {
    assert.deepEqual(grep(/headers:/, ['packages/core/src']), []);
  });

  it('the checks would see a violation', () => {
    assert.ok(grep(/invalidate\(/, ['packages/server/src']).length > 0, 'the response cache itself defines invalidate(');
  });
});
