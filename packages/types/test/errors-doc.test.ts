import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { AppError, appError, type ErrorCode, errorCatalogue } from '@entropic/types';

const DOC = new URL('../../../docs/errors.md', import.meta.url);

/** The rows of docs/errors.md's table: `code` | status | meaning | when. */
function documentedCodes(): Map<string, { status: number; meaning: string; when: string }> {
  const rows = new Map<string, { status: number; meaning: string; when: string }>();
  for (const line of readFileSync(DOC, 'utf8').split('\n')) {
    const match = /^\|\s*`([A-Z0-9_]+)`\s*\|\s*(\d{3})\s*\|([^|]*)\|([^|]*)\|\s*$/.exec(line);
    if (!match) continue;
    assert.ok(!rows.has(match[1] as string), `docs/errors.md lists ${match[1]} twice`);
    rows.set(match[1] as string, { status: Number(match[2]), meaning: (match[3] as string).trim(), when: (match[4] as string).trim() });
  }
  return rows;
}

describe('error catalogue', () => {
  it('docs/errors.md lists exactly the codes of errorCatalogue, with their status', () => {
    const documented = documentedCodes();
    const codes = Object.keys(errorCatalogue).sort();
    assert.deepEqual([...documented.keys()].sort(), codes);
    for (const code of codes) {
      const row = documented.get(code);
      assert.equal(row?.status, errorCatalogue[code as ErrorCode].status, `status of ${code}`);
      assert.ok(row && row.meaning.length > 0 && row.when.length > 0, `${code} needs a meaning and a "when"`);
    }
  });

  it('uses SCREAMING_SNAKE codes and HTTP error statuses', () => {
    for (const [code, entry] of Object.entries(errorCatalogue)) {
      assert.match(code, /^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*$/);
      assert.ok(entry.status >= 400 && entry.status < 600, code);
      assert.ok(entry.message.length > 0, code);
    }
  });

  it('builds AppErrors with the catalogue status and default message', () => {
    const error = appError('VERSION_EXISTS');
    assert.ok(error instanceof AppError);
    assert.equal(error.status, 409);
    assert.equal(error.message, errorCatalogue.VERSION_EXISTS.message);
    const custom = appError('INVALID_PATH', 'custom', { hint: 'h', retryAfterSeconds: 1 });
    assert.equal(custom.message, 'custom');
    assert.equal(custom.hint, 'h');
    assert.equal(custom.retryAfterSeconds, 1);
  });
});
