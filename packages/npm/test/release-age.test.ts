import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type Packuments, QUARANTINE_NOTICE, quarantineYoungVersions } from '../src/index.ts';

const now = new Date('2026-12-07T12:00:00.000Z');
const hoursAgo = (h: number) => new Date(now.getTime() - h * 3_600_000).toISOString();

function packuments(): Packuments {
  const versions = {
    '1.0.0': { name: 'p', version: '1.0.0' },
    '1.1.0': { name: 'p', version: '1.1.0', deprecated: 'use 1.0' },
    '1.2.0': { name: 'p', version: '1.2.0' },
    '2.0.0-rc.1': { name: 'p', version: '2.0.0-rc.1' },
    '2.0.0-rc.2': { name: 'p', version: '2.0.0-rc.2' },
    '0.9.0': { name: 'p', version: '0.9.0' },
  };
  const tags = { latest: '1.2.0', next: '2.0.0-rc.2', beta: '1.0.0' };
  // 0.9.0 has no time entry: its age cannot be told, so it counts as old
  const time = {
    '1.0.0': hoursAgo(100),
    '1.1.0': hoursAgo(50),
    '1.2.0': hoursAgo(2),
    '2.0.0-rc.1': hoursAgo(30),
    '2.0.0-rc.2': hoursAgo(1),
  };
  return {
    full: { name: 'p', 'dist-tags': tags, versions, time },
    abbreviated: { name: 'p', 'dist-tags': tags, versions: structuredClone(versions) },
  };
}

describe('quarantineYoungVersions', () => {
  it('marks versions younger than the policy deprecated and moves their tags to the highest old-enough version below', () => {
    const input = packuments();
    const before = structuredClone(input);
    const out = quarantineYoungVersions(input, { minAgeHours: 24, now });
    assert.deepEqual(input, before, 'the input is not changed');
    // latest skips the deprecated 1.1.0 for the current 1.0.0; next stays a prerelease
    assert.deepEqual(out.full['dist-tags'], { latest: '1.0.0', next: '2.0.0-rc.1', beta: '1.0.0' });
    assert.deepEqual(out.abbreviated['dist-tags'], out.full['dist-tags']);
    const abbreviated = out.abbreviated.versions as Record<string, { deprecated?: string }>;
    assert.match(abbreviated['1.2.0']?.deprecated ?? '', new RegExp(`^${QUARANTINE_NOTICE} until ${hoursAgo(-22).replace(/\./g, '\\.')}`));
    assert.ok(abbreviated['2.0.0-rc.2']?.deprecated?.startsWith(QUARANTINE_NOTICE));
    assert.equal(abbreviated['1.1.0']?.deprecated, 'use 1.0', 'an old version keeps its own message only');
    assert.equal(abbreviated['1.0.0']?.deprecated, undefined);
    assert.equal(abbreviated['0.9.0']?.deprecated, undefined);
    assert.deepEqual(Object.keys(out.full.versions as object), Object.keys(input.full.versions as object), 'every version is still served');
    assert.deepEqual(out.full.time, input.full.time, 'time is served as it is');
  });

  it('keeps a young version’s own deprecation after the notice, and drops a tag with nothing old enough below it', () => {
    const input = packuments();
    (input.full.versions as Record<string, Record<string, unknown>>)['1.0.0'] = { name: 'p', version: '1.0.0', deprecated: 'old' };
    const out = quarantineYoungVersions(input, { minAgeHours: 200, now });
    assert.deepEqual(out.full['dist-tags'], { latest: '0.9.0', next: '0.9.0', beta: '0.9.0' });
    assert.match((out.full.versions as Record<string, { deprecated: string }>)['1.0.0']?.deprecated ?? '', /install it now\. old$/);
    delete (input.full.versions as Record<string, unknown>)['0.9.0'];
    assert.deepEqual(quarantineYoungVersions(input, { minAgeHours: 200, now }).full['dist-tags'], {});
  });

  it('is off at 0 hours and when every version is old', () => {
    const input = packuments();
    assert.equal(quarantineYoungVersions(input, { minAgeHours: 0, now }), input);
    assert.equal(quarantineYoungVersions(input, { minAgeHours: 1, now: new Date(now.getTime() + 10 * 3_600_000) }), input);
  });
});
