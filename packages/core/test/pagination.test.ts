import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_PAGE_SIZE, decodeCursor, encodeCursor, MAX_PAGE_SIZE, pageLimit } from '@entropic/core';
import { AppError } from '@entropic/types';

const isCode = (code: string) => (error: unknown) => error instanceof AppError && error.code === code;

describe('pageLimit', () => {
  it('defaults to 100 and accepts 1–1000', () => {
    assert.equal(DEFAULT_PAGE_SIZE, 100);
    assert.equal(MAX_PAGE_SIZE, 1000);
    assert.equal(pageLimit(undefined), 100);
    assert.equal(pageLimit(''), 100);
    assert.equal(pageLimit('1'), 1);
    assert.equal(pageLimit('1000'), 1000);
  });

  it('refuses anything else with INVALID_LIMIT', () => {
    for (const raw of ['0', '1001', '-1', '1.5', 'ten', ' 5', '5 ', '1e2', '0x10', '99999999999999999999']) {
      assert.throws(() => pageLimit(raw), isCode('INVALID_LIMIT'), raw);
    }
  });
});

describe('cursors', () => {
  it('round-trips ids through an opaque cursor', () => {
    for (const id of [0, 1, 42, 2 ** 31, 999_999_999_999_999]) {
      const cursor = encodeCursor(id);
      assert.match(cursor, /^[A-Za-z0-9_-]+$/);
      assert.equal(decodeCursor(cursor), id);
    }
  });

  it('refuses cursors it did not hand out with INVALID_CURSOR', () => {
    const forged = [
      'garbage',
      Buffer.from('c1:').toString('base64url'),
      Buffer.from('c1:-1').toString('base64url'),
      Buffer.from('c2:5').toString('base64url'),
      Buffer.from('c1:5x').toString('base64url'),
      Buffer.from('c1:1234567890123456').toString('base64url'),
      '%%%',
    ];
    for (const cursor of forged) assert.throws(() => decodeCursor(cursor), isCode('INVALID_CURSOR'), cursor);
  });
});
