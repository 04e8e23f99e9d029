import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { createRegistryClient, type RegistryClient } from '../src/registry-client.ts';

/** Every call of the client with the request it must send (method, path, whether it carries the token). */
const ref = { namespace: 'ns', host: 'h.example', name: '@a/b c' };
const pkg = '/packages/package/ns@h.example/%40a%2Fb%20c';
const calls: [string, (client: RegistryClient) => Promise<unknown>, string, boolean][] = [
  ['info', (c) => c.info(), 'GET /', false],
  ['whoami', (c) => c.whoami(), 'GET /auth/whoami', true],
  ['packagesAuthoredBy', (c) => c.packagesAuthoredBy('n', 'h'), 'GET /packages/authored-by/n@h?limit=1000', true],
  ['getVersion', (c) => c.getVersion(ref, '1.0.0+x'), `GET ${pkg}/versions/1.0.0%2Bx`, true],
  ['yank', (c) => c.yank(ref, '1.0.0'), `DELETE ${pkg}/versions/1.0.0`, true],
  ['abandon', (c) => c.abandon(ref), `DELETE ${pkg}`, true],
  ['getTags', (c) => c.getTags(ref), `GET ${pkg}/dist-tags`, true],
  ['setTag', (c) => c.setTag(ref, 'be ta', '1.0.0'), `PUT ${pkg}/dist-tags/be%20ta`, true],
  ['removeTag', (c) => c.removeTag(ref, 'be ta'), `DELETE ${pkg}/dist-tags/be%20ta`, true],
  ['listMaintainers', (c) => c.listMaintainers(ref), `GET ${pkg}/maintainers`, true],
  ['inviteMaintainer', (c) => c.inviteMaintainer(ref, 'x@y'), `POST ${pkg}/maintainers/x%40y`, true],
  ['removeMaintainer', (c) => c.removeMaintainer(ref, 'x@y'), `DELETE ${pkg}/maintainers/x%40y`, true],
  ['listNamespaces', (c) => c.listNamespaces(), 'GET /namespaces', false],
  ['createNamespace', (c) => c.createNamespace('n', 'h'), 'PUT /namespaces/namespace/n@h', true],
  ['listMembers', (c) => c.listMembers('n', 'h'), 'GET /namespaces/namespace/n@h/members', false],
  ['inviteMember', (c) => c.inviteMember('n', 'h', 'u s'), 'POST /namespaces/namespace/n@h/members/u%20s', true],
  ['removeMember', (c) => c.removeMember('n', 'h', 'u s'), 'DELETE /namespaces/namespace/n@h/members/u%20s', true],
  [
    'listMaintainerships',
    (c) => c.listMaintainerships('n', 'h', true),
    'GET /namespaces/namespace/n@h/maintainerships?status=pending',
    true,
  ],
  [
    'acceptMaintainership',
    (c) => c.acceptMaintainership('n', 'h', ref),
    'POST /namespaces/namespace/n@h/maintainerships/ns@h.example/%40a%2Fb%20c',
    true,
  ],
  [
    'declineMaintainership',
    (c) => c.declineMaintainership('n', 'h', ref),
    'DELETE /namespaces/namespace/n@h/maintainerships/ns@h.example/%40a%2Fb%20c',
    true,
  ],
  ['listMemberships', (c) => c.listMemberships('u', 'h'), 'GET /users/user/u@h/memberships', true],
  ['acceptMembership', (c) => c.acceptMembership('u', 'h', 'n'), 'POST /users/user/u@h/memberships/n@h', true],
  ['declineMembership', (c) => c.declineMembership('u', 'h', 'n'), 'DELETE /users/user/u@h/memberships/n@h', true],
  ['mirrorNpmVersion', (c) => c.mirrorNpmVersion('@s/x', '1.0.0'), 'HEAD /%40s/x/-/x-1.0.0.tgz', false],
  ['startLogin', (c) => c.startLogin(), 'POST /-/v1/login', false],
  ['createToken', (c) => c.createToken({ description: 'd' }), 'POST /auth/tokens', true],
  ['revokeToken', (c) => c.revokeToken('t 1'), 'DELETE /auth/tokens/t%201', true],
];

describe('registry client calls', () => {
  let server: Server;
  let client: RegistryClient;
  const seen: string[] = [];
  let notFound = false;

  before(async () => {
    server = createServer((request, response) => {
      seen.push(`${request.method} ${request.url} ${request.headers.authorization === 'Bearer tok'}`);
      request.resume();
      if (notFound) response.statusCode = 404;
      request.on('end', () => response.end(request.url?.includes('limit=') ? '{"objects":[],"next":null}' : '{}'));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    client = createRegistryClient({ registry: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, token: 'tok' });
  });
  after(async () => {
    await client.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  for (const [name, call, request, authenticated] of calls) {
    it(`${name} sends ${request}${authenticated ? ' with the token' : ''}`, async () => {
      seen.length = 0;
      await call(client);
      assert.deepEqual(seen, [`${request} ${authenticated}`]);
    });
  }

  it('maps a token API the registry lacks (404) to TOKEN_API_UNAVAILABLE with a hint to the website', async () => {
    notFound = true;
    try {
      await assert.rejects(client.listTokens(), (error: Error & { code?: string; hint?: string }) => {
        return error.code === 'TOKEN_API_UNAVAILABLE' && /^http:\/\/127\.0\.0\.1:\d+\/www\/tokens$/.test(error.hint?.split(': ')[1] ?? '');
      });
    } finally {
      notFound = false;
    }
  });
});
