import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { bearer, createTestApp, type TestApp, type TestUser } from '@entropic/testkit';
import { OAuth2Server } from 'oauth2-mock-server';
import { runDs } from '../../packages/cli/test/support/ds-harness.ts';
import { npmPublishBody, packageTarball } from '../../packages/server/test/support/npm-publish-body.ts';
import { failing, npmUserEnv, run, writeProject } from './support/npm-cli.ts';

const REPO = 'alice/widgets';
const WORKFLOW = `${REPO}/.github/workflows/release.yml@refs/heads/main`;

/**
 * Issue 10.2 with the real npm CLI: npm 11 in "GitHub Actions" (GITHUB_ACTIONS, and
 * ACTIONS_ID_TOKEN_REQUEST_URL pointing at a stand-in for the runner's token service) asks for an
 * id token with the audience `npm:<registry host>`, exchanges it at the registry and publishes with
 * the short-lived token; there is no token in its .npmrc. The id tokens are signed by a real
 * OpenID Connect issuer (oauth2-mock-server) the registry trusts.
 */
describe('npm publish through trusted publishing (issue 10.2)', { timeout: 300_000 }, () => {
  let root: string;
  let t: TestApp;
  let alice: TestUser;
  let issuer: OAuth2Server;
  let runner: Server;
  let registry: string;
  /** the repository the runner's id tokens name */
  let repository = REPO;
  const audiences: string[] = [];
  let dsEnv: Record<string, string>;

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'entropic-npm-oidc-'));
    issuer = new OAuth2Server();
    await issuer.issuer.keys.generate('RS256');
    await issuer.start(0, '127.0.0.1');
    // GitHub's runner token service: GET ?audience=… with the request token → {value: <id token>}
    runner = createServer(async (request, response) => {
      const url = new URL(request.url ?? '/', 'http://runner');
      if (request.headers.authorization !== 'Bearer runner-request-token') {
        response.writeHead(401).end();
        return;
      }
      const audience = url.searchParams.get('audience') ?? '';
      audiences.push(audience);
      const value = await issuer.issuer.buildToken({
        expiresIn: 300,
        scopesOrTransform: (_header, payload) => {
          Object.assign(payload, { aud: audience, repository, workflow_ref: WORKFLOW, sub: `repo:${repository}:ref:refs/heads/main` });
        },
      });
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ value }));
    });
    await new Promise<void>((resolve) => runner.listen(0, '127.0.0.1', resolve));
    t = await createTestApp({ env: { TRUSTED_PUBLISHING_ISSUERS: String(issuer.issuer.url) } });
    registry = `${await t.listen()}/`;
    alice = await t.createUser('alice');
    const first = await t.app.inject({
      method: 'PUT',
      url: '/@alice%2fwidgets',
      headers: bearer(alice.token),
      payload: npmPublishBody('@alice/widgets', '1.0.0', await packageTarball('@alice/widgets', '1.0.0')),
    });
    assert.equal(first.statusCode, 201, first.body);
    dsEnv = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: root, NO_COLOR: '1', ENTROPIC_REGISTRY: t.url, ENTROPIC_TOKEN: alice.token };
  });
  after(async () => {
    await t?.close();
    await issuer?.stop();
    await new Promise((resolve) => runner?.close(resolve));
    if (root) await rm(root, { recursive: true, force: true });
  });

  async function ciEnv(): Promise<NodeJS.ProcessEnv> {
    const env = await npmUserEnv(root, registry, 'ci'); // no token
    return {
      ...env,
      GITHUB_ACTIONS: 'true',
      ACTIONS_ID_TOKEN_REQUEST_URL: `http://127.0.0.1:${(runner.address() as AddressInfo).port}/token`,
      ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'runner-request-token',
    };
  }

  async function project(version: string): Promise<string> {
    const dir = await mkdtemp(join(root, 'project-'));
    await writeProject(dir, { name: '@alice/widgets', version, publishConfig: { access: 'public' } });
    await writeFile(join(dir, 'index.js'), `module.exports = ${JSON.stringify(version)};\n`);
    return dir;
  }

  it('a maintainer names the workflow with ds; a claim without = and an unknown issuer are refused', async () => {
    const usage = await runDs(['trusted-publisher', 'add', 'alice/widgets', '--claim', 'repository'], root, dsEnv);
    assert.notEqual(usage.code, 0);
    assert.match(usage.stderr, /not name=value/);
    const untrusted = await runDs(['trusted-publisher', 'add', 'alice/widgets', '--claim', `repository=${REPO}`], root, dsEnv);
    assert.notEqual(untrusted.code, 0, 'GitHub is the default issuer, and this registry trusts only the test issuer');
    assert.match(untrusted.stderr, /does not trust the issuer/);
    const added = await runDs(
      [
        'trusted-publisher',
        'add',
        'alice/widgets',
        '--issuer',
        String(issuer.issuer.url),
        '--claim',
        `repository=${REPO}`,
        '--claim',
        `workflow_ref=${WORKFLOW}`,
      ],
      root,
      dsEnv,
    );
    assert.equal(added.code, 0, added.stderr);
    const listed = await runDs(['trusted-publisher', 'ls', 'alice/widgets', '--json'], root, dsEnv);
    assert.equal(listed.code, 0, listed.stderr);
    const { publishers } = listed.json<{ publishers: Array<{ issuer: string; claims: Record<string, string> }> }>();
    assert.deepEqual(
      publishers.map((p) => [p.issuer, p.claims]),
      [[issuer.issuer.url, { repository: REPO, workflow_ref: WORKFLOW }]],
    );
  });

  it('publishes from the matching workflow without a stored token, and the version names the CI identity', async () => {
    await run('npm', ['publish'], await project('1.1.0'), await ciEnv());
    assert.deepEqual(audiences, ['npm:127.0.0.1'], "npm asked the runner for the registry's audience");
    const packument = (await t.app.inject({ url: '/@alice%2fwidgets' })).json();
    assert.equal(packument['dist-tags'].latest, '1.1.0');
    assert.equal(packument.versions['1.1.0']._npmUser.trustedPublisher.claims.repository, REPO);
    assert.equal(packument.versions['1.1.0']._npmUser.trustedPublisher.claims.workflow_ref, WORKFLOW);
  });

  it('an id token for another repository gets no token: npm publish fails and nothing is published', async () => {
    repository = 'mallory/widgets';
    const output = await failing('npm', ['publish'], await project('1.2.0'), await ciEnv());
    assert.match(output, /ENEEDAUTH|need auth/i);
    const packument = (await t.app.inject({ url: '/@alice%2fwidgets' })).json();
    assert.equal(packument.versions['1.2.0'], undefined);
  });
});
