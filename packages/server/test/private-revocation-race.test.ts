// Issue 9.6: races between revoking access and reading a private package. Readers run without
// pause while the access is taken away (a namespace member removed, a team member removed, a
// team's grant revoked, a token revoked); once the revocation request has answered, no read by
// that principal that starts afterwards may succeed, on any read route. Reads before it warm
// whatever the process caches (answers, tokens, grants): this is the oracle for any cache of
// read access (a grant cache must be emptied before the revocation answers).
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { bearer, createTestApp, publishVersion, type TestApp, type TestUser } from '@entropic/testkit';

const secretFile = 'module.exports = "only for the team";\n';
const secretObject = `/objects/object/sha512/${createHash('sha512').update(secretFile).digest('base64')}`;

/** A read route and whether an answer to it showed the private package. */
interface Route {
  url: string;
  shows(status: number, body: string): boolean;
}

/** The read routes of a private package `ns/secret` (its API documents, npm packument and tarball, a listing, search, its file). */
function routesOf(ns: string): Route[] {
  const ok = (status: number) => status === 200;
  return [
    { url: `/packages/package/${ns}/secret`, shows: ok },
    { url: `/packages/package/${ns}/secret/versions/1.0.0`, shows: ok },
    { url: `/@${ns}/secret`, shows: ok },
    { url: `/@${ns}/secret/-/secret-1.0.0.tgz`, shows: ok },
    { url: secretObject, shows: ok },
    { url: `/www/packages/${ns}/secret`, shows: ok },
    { url: `/packages/maintained-by/${ns}`, shows: (status, body) => status === 200 && body.includes('/secret"') },
    { url: '/-/v1/search?text=secret', shows: (status, body) => status === 200 && body.includes(`"@${ns}/secret"`) },
  ];
}

const READERS = 4;
/** reads each reader makes after the revocation answered */
const READS_AFTER = 6;

/**
 * Runs READERS readers over `routes` as `token` ('' for anonymous readers) while `revoke` runs; answers the reads that
 * started after `revoke` answered and showed the package (there must be none), and how many
 * reads ran before and after.
 */
async function race(t: TestApp, token: string, routes: Route[], revoke: () => Promise<void>) {
  let answered = false;
  const leaks: string[] = [];
  let readsBefore = 0;
  let afterwards = 0;
  const reader = async (offset: number) => {
    let after = 0;
    for (let i = offset; after < READS_AFTER; i += 1) {
      const route = routes[i % routes.length] as Route;
      const startedAfter = answered;
      const res = await t.app.inject({ url: route.url, headers: token ? bearer(token) : {} });
      if (!startedAfter) {
        readsBefore += 1;
        continue;
      }
      after += 1;
      afterwards += 1;
      if (route.shows(res.statusCode, res.body)) leaks.push(`${route.url}: ${res.statusCode}`);
    }
  };
  const readers = Array.from({ length: READERS }, (_, i) => reader(i * 3));
  // let the readers get going (and warm every cache) before the revocation starts
  await new Promise((resolve) => setTimeout(resolve, 20));
  await revoke();
  answered = true;
  await Promise.all(readers);
  // every reader had a read in flight while the revocation ran
  assert.ok(readsBefore >= READERS, `${readsBefore} reads before the revocation answered`);
  return { leaks, readsBefore, afterwards };
}

describe('revoking read access races reads: nothing is read after the revocation answered', { timeout: 280_000 }, () => {
  let t: TestApp;
  let alice: TestUser;
  let carol: TestUser;
  let dave: TestUser;
  const call = async (method: 'PUT' | 'POST' | 'DELETE', url: string, token: string, payload?: Record<string, unknown>) => {
    const res = await t.app.inject({ method, url, headers: bearer(token), ...(payload ? { payload } : {}) });
    assert.ok(res.statusCode < 300, `${method} ${url}: ${res.statusCode} ${res.body}`);
  };
  /** every route shows the package to `token` (the precondition of a round) */
  const assertReads = async (token: string, routes: Route[], who: string) => {
    for (const route of routes) {
      const res = await t.app.inject({ url: route.url, headers: bearer(token) });
      assert.ok(route.shows(res.statusCode, res.body), `${who} reads ${route.url} before the revocation: ${res.statusCode}`);
    }
  };

  before(async () => {
    t = await createTestApp();
    alice = await t.createUser('alice');
    carol = await t.createUser('carol');
    dave = await t.createUser('dave');
    await call('PUT', '/namespaces/namespace/acme', alice.token);
    for (const ns of ['alice', 'acme']) {
      await publishVersion(t.app, `${ns}/secret`, '1.0.0', { token: alice.token, files: { 'index.js': secretFile } });
      await call('PUT', `/packages/package/${ns}/secret/access`, alice.token, { private: true });
    }
    await call('PUT', '/namespaces/namespace/acme/teams/readers', alice.token);
    await call('PUT', '/namespaces/namespace/acme/teams/readers/grants', alice.token, { package: 'acme/secret', permission: 'read' });
    await t.runJobs(); // npm tarballs, search documents
  });
  after(() => t?.close());

  it('a namespace member removed while reading', async () => {
    const routes = routesOf('alice');
    for (let round = 0; round < 4; round += 1) {
      await call('POST', '/namespaces/namespace/alice/members/carol', alice.token);
      await call('POST', '/users/user/carol/memberships/alice', carol.token);
      await assertReads(carol.token, routes, 'carol');
      const { leaks, readsBefore, afterwards } = await race(t, carol.token, routes, () =>
        call('DELETE', '/namespaces/namespace/alice/members/carol', alice.token),
      );
      assert.deepEqual(leaks, [], `round ${round}: reads after the removal answered (${readsBefore} before, ${afterwards} after)`);
    }
  });

  it('a team member removed while reading', async () => {
    const routes = routesOf('acme');
    for (let round = 0; round < 4; round += 1) {
      await call('PUT', '/namespaces/namespace/acme/teams/readers/members/dave', alice.token);
      await assertReads(dave.token, routes, 'dave');
      const { leaks } = await race(t, dave.token, routes, () =>
        call('DELETE', '/namespaces/namespace/acme/teams/readers/members/dave', alice.token),
      );
      assert.deepEqual(leaks, [], `round ${round}`);
    }
  });

  it('a team’s grant revoked while its member reads', async () => {
    const routes = routesOf('acme');
    await call('PUT', '/namespaces/namespace/acme/teams/readers/members/dave', alice.token);
    for (let round = 0; round < 4; round += 1) {
      await call('PUT', '/namespaces/namespace/acme/teams/readers/grants', alice.token, { package: 'acme/secret', permission: 'read' });
      await assertReads(dave.token, routes, 'dave');
      const { leaks } = await race(t, dave.token, routes, () =>
        call('DELETE', '/namespaces/namespace/acme/teams/readers/grants?package=acme/secret', alice.token),
      );
      assert.deepEqual(leaks, [], `round ${round}`);
    }
  });

  it('a token revoked while it reads', async () => {
    const routes = routesOf('alice');
    for (let round = 0; round < 4; round += 1) {
      const minted = await t.app.inject({
        method: 'POST',
        url: '/auth/tokens',
        headers: bearer(alice.token),
        payload: { description: `race ${round}`, scope: 'read' },
      });
      assert.equal(minted.statusCode, 201, minted.body);
      const { id, token } = minted.json() as { id: string; token: string };
      await assertReads(token, routes, 'the token');
      const { leaks } = await race(t, token, routes, () => call('DELETE', `/auth/tokens/${id}`, alice.token));
      assert.deepEqual(leaks, [], `round ${round}`);
    }
  });

  it('a maintainer namespace removed (npm owner rm, ds) while its member reads', async () => {
    const routes = routesOf('alice');
    for (let round = 0; round < 4; round += 1) {
      await call('POST', '/packages/package/alice/secret/maintainers/dave', alice.token);
      await call('POST', '/namespaces/namespace/dave/maintainerships/alice/secret', dave.token);
      await assertReads(dave.token, routes, 'dave');
      const { leaks } = await race(t, dave.token, routes, () =>
        call('DELETE', '/packages/package/alice/secret/maintainers/dave', alice.token),
      );
      assert.deepEqual(leaks, [], `round ${round}`);
    }
  });

  it('a public package made private while anonymous readers read it (cached public answers included)', async () => {
    const routes = routesOf('alice');
    for (let round = 0; round < 4; round += 1) {
      await call('PUT', '/packages/package/alice/secret/access', alice.token, { private: false });
      await t.runJobs(); // its search document, public again
      let anonymousRoutes = routes;
      // anonymous readers: no token (listings and search show public packages to anyone)
      for (const route of routes) {
        const res = await t.app.inject({ url: route.url });
        if (!route.shows(res.statusCode, res.body)) anonymousRoutes = anonymousRoutes.filter((r) => r !== route);
      }
      assert.ok(anonymousRoutes.length >= 6, `anonymous reads ${anonymousRoutes.map((r) => r.url)} while it is public`);
      const { leaks } = await race(t, '', anonymousRoutes, () =>
        call('PUT', '/packages/package/alice/secret/access', alice.token, { private: true }),
      );
      assert.deepEqual(leaks, [], `round ${round}`);
    }
  });
});
