import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createUnsyncedObjects } from '../src/unsynced-objects.ts';

describe('unsynced objects', () => {
  it('merges what several puts of one object left, without duplicates', () => {
    const unsynced = createUnsyncedObjects();
    unsynced.note('a', '/s/a', ['/s/x', '/s']);
    unsynced.note('a', '/s/a.br', ['/s/x']);
    assert.deepEqual(unsynced.get('a'), { files: ['/s/a', '/s/a.br'], dirs: ['/s/x', '/s'] });
  });

  it('forgets an entry only if no put replaced it meanwhile', () => {
    const unsynced = createUnsyncedObjects();
    unsynced.note('a', '/s/a', []);
    const taken = unsynced.get('a');
    assert.ok(taken);
    unsynced.note('a', '/s/a.br', []);
    unsynced.forget('a', taken);
    assert.deepEqual(unsynced.get('a')?.files, ['/s/a', '/s/a.br']);
    const latest = unsynced.get('a');
    assert.ok(latest);
    unsynced.forget('a', latest);
    assert.equal(unsynced.get('a'), undefined);
  });

  it('evicts the least recently noted entry past its bound', () => {
    const unsynced = createUnsyncedObjects(2);
    unsynced.note('a', '/s/a', []);
    unsynced.note('b', '/s/b', []);
    unsynced.note('a', '/s/a', []); // a is now the newest
    unsynced.note('c', '/s/c', []);
    assert.equal(unsynced.size, 2);
    assert.equal(unsynced.get('b'), undefined);
    assert.ok(unsynced.get('a'));
    assert.ok(unsynced.get('c'));
  });
});
