import assert from 'node:assert/strict';
import { encodePublishBody } from '@entropic/testkit';
import type { FastifyInstance } from 'fastify';

/** One answer, whether it came from app.inject or from fetch against a listening server. */
export interface Answer {
  status: number;
  headers: Record<string, string>;
  // biome-ignore lint/suspicious/noExplicitAny: test bodies are inspected field by field
  body: any;
}

export type Call = (method: string, path: string, token?: string, payload?: { body: Buffer; contentType: string }) => Promise<Answer>;

function parse(text: string, contentType: string): unknown {
  return contentType.startsWith('application/json') && text.length > 0 ? JSON.parse(text) : text;
}

export function injectCall(app: FastifyInstance): Call {
  return async (method, path, token, payload) => {
    const headers: Record<string, string> = {};
    if (token) headers.authorization = `Bearer ${token}`;
    if (payload) headers['content-type'] = payload.contentType;
    const response = await app.inject({
      method: method as 'GET',
      url: path,
      headers,
      ...(payload ? { payload: payload.body } : {}),
    });
    const flat = Object.fromEntries(Object.entries(response.headers).map(([k, v]) => [k, String(v)]));
    return { status: response.statusCode, headers: flat, body: parse(response.body, flat['content-type'] ?? '') };
  };
}

export function fetchCall(baseUrl: string): Call {
  return async (method, path, token, payload) => {
    const headers: Record<string, string> = {};
    if (token) headers.authorization = `Bearer ${token}`;
    if (payload) headers['content-type'] = payload.contentType;
    const response = await fetch(new URL(path, baseUrl), { method, headers, ...(payload ? { body: new Uint8Array(payload.body) } : {}) });
    const text = await response.text();
    const flat = Object.fromEntries(response.headers.entries());
    return { status: response.status, headers: flat, body: parse(text, flat['content-type'] ?? '') };
  };
}

/** Publishes a one-file version through whichever transport `call` uses. */
export async function publishWith(call: Call, spec: string, version: string, token: string): Promise<Answer> {
  const { payload, contentType } = await encodePublishBody({ files: { 'index.js': `module.exports = '${spec}@${version}';\n` } });
  return call('PUT', `/packages/package/${spec}/versions/${version}`, token, { body: payload, contentType });
}

/** Asserts a success status, with the body in the failure message. */
export function expectOk(answer: Answer, status = 200): Answer {
  assert.equal(answer.status, status, `expected ${status}, got ${answer.status} ${JSON.stringify(answer.body)}`);
  return answer;
}

/** Asserts an API error: status, stable code, `{message, code}` body, Bearer challenge on 401. */
export function expectCode(answer: Answer, status: number, code: string): Answer {
  assert.equal(answer.status, status, `expected ${status} ${code}, got ${answer.status} ${JSON.stringify(answer.body)}`);
  assert.equal(answer.body?.code, code, JSON.stringify(answer.body));
  assert.equal(typeof answer.body?.message, 'string');
  if (status === 401) assert.match(answer.headers['www-authenticate'] ?? '', /^Bearer/);
  return answer;
}
