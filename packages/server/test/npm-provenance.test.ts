import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { bearer, createTestApp, type TestApp, type TestUser } from '@entropic/testkit';
import { expectError } from './support/expect-error.ts';
import { npmPublishBody, packageTarball } from './support/npm-publish-body.ts';
import { makeProvenanceBundle } from './support/provenance-bundle.ts';

const NAME = '@alice/widgets';

/**
 * Issue 10.3: `npm publish --provenance` PUTs a Sigstore bundle beside the tarball. It is checked
 * (shape, subject = this package, version and tarball sha512, signature by its certificate),
 * stored content-addressed with the version, served at npm's attestations endpoint and announced
 * in `dist.attestations`. Real `--provenance` needs CI OIDC and Fulcio, which are not reachable
 * here: the bundle is made as npm makes it, signed with a local key (support/provenance-bundle.ts).
 */
describe('npm provenance (issue 10.3)', () => {
  let t: TestApp;
  let alice: TestUser;

  const put = (body: unknown) =>
    t.app.inject({
      method: 'PUT',
      url: `/${NAME.replace('/', '%2f')}`,
      headers: bearer(alice.token),
      payload: body as Record<string, unknown>,
    });

  before(async () => {
    t = await createTestApp();
    alice = await t.createUser('alice');
  });
  after(() => t?.close());

  it('accepts a bundle, stores it content-addressed with the version, serves it and names it in dist.attestations', async () => {
    const tarball = await packageTarball(NAME, '1.0.0');
    const bundle = makeProvenanceBundle(NAME, '1.0.0', tarball);
    const published = await put(npmPublishBody(NAME, '1.0.0', tarball, bundle));
    assert.equal(published.statusCode, 201, published.body);

    const packument = (await t.app.inject({ url: `/${NAME.replace('/', '%2f')}` })).json();
    const url = `${t.deps.config.externalUrl}/-/npm/v1/attestations/@alice/widgets@1.0.0`;
    const expected = { url, provenance: { predicateType: 'https://slsa.dev/provenance/v1' } };
    assert.deepEqual(packument.versions['1.0.0'].dist.attestations, expected);
    const abbreviated = await t.app.inject({
      url: `/${NAME.replace('/', '%2f')}`,
      headers: { accept: 'application/vnd.npm.install-v1+json' },
    });
    assert.deepEqual(abbreviated.json().versions['1.0.0'].dist.attestations, expected);

    for (const path of ['/-/npm/v1/attestations/@alice/widgets@1.0.0', '/-/npm/v1/attestations/@alice%2fwidgets@1.0.0']) {
      const served = await t.app.inject({ url: path });
      assert.equal(served.statusCode, 200, served.body);
      assert.deepEqual(served.json(), { attestations: [{ predicateType: 'https://slsa.dev/provenance/v1', bundle }] });
    }

    const [row] = await t.deps.db.selectFrom('version_attestations').selectAll().execute();
    assert.ok(row);
    const text = JSON.stringify(bundle);
    assert.equal(row.bundle_integrity, `sha512-${createHash('sha512').update(text).digest('base64')}`, 'the bundle as sent, by its hash');
    assert.equal((await t.deps.blobs.getBytes(row.bundle_integrity as never))?.toString(), text);
    assert.deepEqual(
      { ...row.verification, reason: undefined },
      {
        subject: true,
        signature: true,
        // a local key, not Fulcio: it does not chain to Sigstore's public-good root
        sigstore: false,
        identity: 'https://github.com/alice/widgets/.github/workflows/release.yml@refs/heads/main',
        issuer: 'https://token.actions.githubusercontent.com',
        reason: undefined,
      },
    );
    assert.ok(row.verification.reason, 'why it is not chained is recorded');

    const page = await t.app.inject({ url: '/www/packages/alice/widgets/v/1.0.0' });
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /data-testid="provenance">Provenance <span class="badge">signed, not chained to Sigstore here<\/span>/);
    assert.match(
      page.body,
      /built by <code class="anywhere">https:\/\/github\.com\/alice\/widgets\/\.github\/workflows\/release\.yml@refs\/heads\/main<\/code>/,
    );
    assert.match(page.body, /href="\/-\/npm\/v1\/attestations\/@alice\/widgets@1\.0\.0"/);
  });

  it('refuses a bundle whose subject digest is not the tarball, names another version, was tampered with or is not a bundle; nothing is stored', async () => {
    const tarball = await packageTarball(NAME, '1.1.0');
    const other = await packageTarball(NAME, '9.9.9');
    const refusals: Array<[string, unknown]> = [
      ['digest', makeProvenanceBundle(NAME, '1.1.0', other)],
      ['sha512 of nothing', makeProvenanceBundle(NAME, '1.1.0', tarball, { sha512: createHash('sha512').digest('hex') })],
      ['another version', makeProvenanceBundle(NAME, '1.0.0', tarball)],
      ['another package', makeProvenanceBundle(NAME, '1.1.0', tarball, { subjectName: 'pkg:npm/%40mallory/widgets@1.1.0' })],
      ['tampered', makeProvenanceBundle(NAME, '1.1.0', tarball, { tamper: true })],
      ['not a bundle', { mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json', hello: 'world' }],
    ];
    for (const [label, bundle] of refusals) {
      const body = expectError(await put(npmPublishBody(NAME, '1.1.0', tarball, bundle)), 400, 'INVALID_PROVENANCE');
      assert.ok(body.message.length <= 400, label);
    }
    const misnamed = npmPublishBody(NAME, '1.1.0', tarball, makeProvenanceBundle(NAME, '1.1.0', tarball)) as {
      _attachments: Record<string, unknown>;
    };
    misnamed._attachments['other-1.1.0.sigstore'] = misnamed._attachments[`${NAME}-1.1.0.sigstore`];
    delete misnamed._attachments[`${NAME}-1.1.0.sigstore`];
    expectError(await put(misnamed), 400, 'INVALID_PROVENANCE');

    const packument = (await t.app.inject({ url: `/${NAME.replace('/', '%2f')}` })).json();
    assert.deepEqual(Object.keys(packument.versions), ['1.0.0'], 'no version was stored');
    assert.equal((await t.deps.db.selectFrom('version_attestations').select('version_id').execute()).length, 1);
  });

  it('a version published without provenance has no attestations', async () => {
    const tarball = await packageTarball(NAME, '1.2.0');
    assert.equal((await put(npmPublishBody(NAME, '1.2.0', tarball))).statusCode, 201);
    const packument = (await t.app.inject({ url: `/${NAME.replace('/', '%2f')}` })).json();
    assert.equal(packument.versions['1.2.0'].dist.attestations, undefined);
    expectError(await t.app.inject({ url: '/-/npm/v1/attestations/@alice/widgets@1.2.0' }), 404, 'ATTESTATIONS_NOT_FOUND');
    assert.doesNotMatch((await t.app.inject({ url: '/www/packages/alice/widgets/v/1.2.0' })).body, /data-testid="provenance"/);
    expectError(await t.app.inject({ url: '/-/npm/v1/attestations/@alice/nothing@1.0.0' }), 404, 'ATTESTATIONS_NOT_FOUND');
  });
});
