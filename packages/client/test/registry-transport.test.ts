import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { ClientError } from '../src/client-error.ts';
import { createJsonCalls } from '../src/json-calls.ts';
import { createRegistryTransport } from '../src/registry-transport.ts';

type Handler = (request: IncomingMessage, response: ServerResponse) => void;

describe('registry transport', () => {
  let server: Server;
  let registry: string;
  let handler: Handler = (_request, response) => response.end('{}');
  const sockets = new Set<string>();
  const seen: { method?: string; url?: string; authorization?: string }[] = [];

  before(async () => {
    server = createServer((request, response) => {
      sockets.add(`${request.socket.remotePort}`);
      seen.push({ method: request.method, url: request.url, authorization: request.headers.authorization });
      request.resume();
      request.on('end', () => handler(request, response));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    registry = `http://127.0.0.1:${(server.address() as AddressInfo).port}/prefix`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('keeps one connection alive for consecutive GETs, under the registry path prefix', async () => {
    handler = (_request, response) => response.end('{"ok":true}');
    sockets.clear();
    seen.length = 0;
    const transport = createRegistryTransport({ registry, token: 'secret' });
    for (let i = 0; i < 3; i++) assert.equal(await (await transport.send(`/things/${i}`)).body.text(), '{"ok":true}');
    transport.close();
    assert.equal(sockets.size, 1);
    assert.deepEqual(
      seen.map((request) => request.url),
      ['/prefix/things/0', '/prefix/things/1', '/prefix/things/2'],
    );
    assert.ok(seen.every((request) => request.authorization === 'Bearer secret'));
  });

  it('sends no token when a call opts out, and small JSON bodies', async () => {
    handler = (_request, response) => response.end('{}');
    seen.length = 0;
    const transport = createRegistryTransport({ registry, token: 'secret' });
    await transport.send('/public', { auth: false });
    await transport.send('/write', { method: 'PUT', json: { a: 1 } });
    transport.close();
    assert.deepEqual(
      seen.map(({ method, authorization }) => [method, authorization]),
      [
        ['GET', undefined],
        ['PUT', 'Bearer secret'],
      ],
    );
  });

  it('turns error statuses into ClientErrors: the registry code and message, else one for the status', async () => {
    const transport = createRegistryTransport({ registry });
    handler = (_request, response) => {
      response.statusCode = 409;
      response.end(JSON.stringify({ code: 'VERSION_EXISTS', message: 'Version 1.0.0 exists.' }));
    };
    for (const init of [{}, { method: 'POST', json: {} }] as const) {
      await assert.rejects(transport.send('/x', init), (error) => {
        assert.ok(error instanceof ClientError);
        return error.code === 'VERSION_EXISTS' && error.status === 409 && error.message === 'Version 1.0.0 exists.';
      });
    }
    handler = (_request, response) => {
      response.statusCode = 401;
      response.end('<html>sign in</html>');
    };
    await assert.rejects(transport.send('/x'), (error) => {
      assert.ok(error instanceof ClientError);
      return error.code === 'UNAUTHENTICATED' && error.message === 'The registry answered 401.' && /ds login/.test(error.hint ?? '');
    });
    // accepted statuses are the caller's
    handler = (_request, response) => {
      response.statusCode = 404;
      response.end();
    };
    assert.equal((await transport.send('/x', { accept: [404] })).status, 404);
    transport.close();
  });

  it('reports an unreachable registry as NETWORK_ERROR with a hint', async () => {
    const transport = createRegistryTransport({ registry: 'http://127.0.0.1:1' });
    await assert.rejects(transport.send('/x'), (error) => error instanceof ClientError && error.code === 'NETWORK_ERROR' && !!error.hint);
    transport.close();
  });

  it('reads every page of a paginated list', async () => {
    handler = (request, response) => {
      const cursor = new URL(request.url ?? '', 'http://x').searchParams.get('cursor');
      response.end(JSON.stringify(cursor === null ? { objects: [1, 2], next: 'page 2' } : { objects: [3], next: null }));
    };
    seen.length = 0;
    const calls = createJsonCalls(createRegistryTransport({ registry }));
    assert.deepEqual(await calls.allPages('/list?sort=name'), [1, 2, 3]);
    calls.transport.close();
    assert.deepEqual(
      seen.map((request) => request.url),
      ['/prefix/list?sort=name&limit=1000', '/prefix/list?sort=name&limit=1000&cursor=page%202'],
    );
  });
});
