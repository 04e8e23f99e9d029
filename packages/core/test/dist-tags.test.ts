import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseDistTag } from '@entropic/core';
import { AppError } from '@entropic/types';

describe('parseDistTag', () => {
  it('accepts npm-style tags', () => {
    for (const tag of ['latest', 'next', 'beta', 'v2-lts', 'rc.1', 'Canary_2', 'x'.repeat(64)]) assert.equal(parseDistTag(tag), tag);
  });

  it('refuses empty, oversized, oddly spelled tags and tags that are semver ranges', () => {
    const bad = ['', 'x'.repeat(65), '-next', '.next', 'a b', 'a/b', 'ä', '1.0.0', '1.x', '^2', '~1.2', '1', '*', 'x', '>=1', 'v1.2.3'];
    for (const tag of bad) {
      assert.throws(
        () => parseDistTag(tag),
        (error: unknown) => error instanceof AppError && error.code === 'INVALID_TAG',
        JSON.stringify(tag),
      );
    }
  });
});
