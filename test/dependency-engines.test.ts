import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import semver from 'semver';

const root = join(import.meta.dirname, '..');
const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { engines: { node: string } };
const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as {
  packages: Record<string, { version?: string; engines?: { node?: string } | string[] }>;
};

describe('every dependency supports the Node the project names (issue 17.14)', () => {
  it('the oldest Node allowed by package.json engines satisfies every locked package', () => {
    const oldest = semver.minVersion(manifest.engines.node)?.version;
    assert.ok(oldest, manifest.engines.node);
    const refused: string[] = [];
    for (const [path, entry] of Object.entries(lock.packages)) {
      const wanted = Array.isArray(entry.engines) ? undefined : entry.engines?.node;
      if (path === '' || !wanted) continue;
      if (!semver.satisfies(oldest, wanted)) refused.push(`${path}@${entry.version} wants node ${wanted}`);
    }
    assert.deepEqual(refused, [], `Node ${oldest} is not supported by:\n${refused.join('\n')}`);
  });

  it('this Node is one of them', () => {
    assert.ok(semver.satisfies(process.version, manifest.engines.node), `${process.version} vs ${manifest.engines.node}`);
  });
});
