import assert from 'node:assert/strict';
import type { LightMyRequestResponse } from 'fastify';

/**
 * Asserts an API error answer: the status, the stable code, a JSON `{message, code}` body, and
 * nothing a client should never see (stack traces, server file paths).
 */
export function expectError(
  response: LightMyRequestResponse,
  status: number,
  code: string,
): { message: string; code: string; hint?: string } {
  assert.equal(response.statusCode, status, `expected ${status} ${code}, got ${response.statusCode} ${response.body}`);
  assert.match(String(response.headers['content-type']), /^application\/json/);
  const body = response.json() as { message: string; code: string; hint?: string };
  assert.equal(body.code, code, response.body);
  assert.equal(typeof body.message, 'string');
  assert.ok(body.message.length > 0);
  assertNoLeak(response.body);
  if (status === 401) assert.match(String(response.headers['www-authenticate']), /^Bearer/);
  return body;
}

/** No stack frame, no absolute path of the server's files. */
export function assertNoLeak(body: string): void {
  assert.doesNotMatch(body, /\n\s+at /, 'a stack trace leaked');
  assert.doesNotMatch(body, /\.ts:\d+/, 'a source location leaked');
  assert.doesNotMatch(body, /\/(work|home|tmp|usr|var)\//, 'a file path leaked');
  assert.doesNotMatch(body, /node_modules\//, 'a file path leaked');
}
