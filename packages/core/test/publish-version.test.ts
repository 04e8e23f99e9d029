import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { appError, type Integrity, type Version } from '@entropic/types';
import {
  abandonPackage,
  findPackage,
  getPackageDocument,
  getVersionDocument,
  JobWorker,
  type Principal,
  type PublishPart,
  publishVersion,
  renderVersionReadme,
} from '../src/index.ts';
import { packageRef, partsOf, publish, seedUser } from './support/catalog-fixtures.ts';
import { createTestCoreDeps, type TestCoreDeps } from './support/core-deps.ts';

describe('publishVersion (on real repositories and a temp-dir blob store)', () => {
  let deps: TestCoreDeps;
  let alice: Principal;
  let bob: Principal;
  before(async () => {
    deps = await createTestCoreDeps();
    alice = (await seedUser(deps, 'alice')).principal;
    bob = (await seedUser(deps, 'bob')).principal;
  });
  after(() => deps.close());

  const v = (version: string) => version as Version;
  const getPackageDocumentRow = async (ref: ReturnType<typeof packageRef>) => {
    const row = await findPackage(deps.repos, ref, deps.host);
    assert.ok(row);
    return row;
  };

  it('stores every file as a blob, creates the package, tags latest and emits version-published with its run-time dependencies', async () => {
    const ref = packageRef(deps, 'alice', 'first');
    deps.emitted.length = 0;
    const { document } = await publish(deps, alice, ref, '1.0.0', {
      files: { 'index.js': 'one\n', 'lib/a.js': 'two\n' },
      fields: { dependencies: '{"bob/util":"^1.0.0","left-pad":"*"}', devDependencies: '{"alice/test-kit":"1"}' },
    });
    const dependsOn = [
      { namespace: 'bob', host: deps.host, name: 'util' },
      { namespace: 'legacy', host: deps.host, name: 'left-pad' },
    ];
    assert.deepEqual(deps.emitted, [{ type: 'version-published', ref, version: '1.0.0', dependsOn }]);
    assert.deepEqual(Object.keys(document.files).sort(), ['./package/index.js', './package/lib/a.js']);
    const bytes = await deps.blobs.getBytes(document.files['./package/index.js'] as Integrity);
    assert.equal(bytes?.toString(), 'one\n');
    assert.ok(await deps.blobs.stat(document.integrity as Integrity), 'the version document is a blob too');
    const pkg = await getPackageDocument(deps, { ref });
    assert.deepEqual(pkg.tags, { latest: '1.0.0' });
    assert.deepEqual(pkg.versions, { '1.0.0': document.integrity });
  });

  it('enqueues the best README for rendering with the version (the job derives ./readme.html) and takes the tag and dependency fields', async () => {
    const ref = packageRef(deps, 'alice', 'readme');
    const { document } = await publish(deps, alice, ref, '2.0.0-rc.1', {
      files: { README: 'plain', 'README.md': '# Title\n', 'index.js': '1' },
      fields: { tag: 'next', dependencies: '{"alice/dep":"^1.0.0"}', bundledDependencies: '["alice/dep"]' },
    });
    assert.deepEqual(document.derivedFiles, {}, 'pending until the render-readme job runs');
    const pkg = await deps.repos.packages.find('alice', null, 'readme');
    const versionId = (await deps.repos.versions.findState(pkg?.id ?? -1, '2.0.0-rc.1'))?.id as number;
    const jobs = await deps.repos.jobs.list({ limit: 100 });
    assert.deepEqual(
      jobs.filter((j) => (j.payload as { versionId: number }).versionId === versionId).map((j) => [j.kind, j.payload]),
      [
        ['npm-tarball', { versionId }],
        ['render-readme', { versionId, path: './package/README.md' }],
      ],
    );
    // search follows through the README job, committed with the version: no search-index job of the publish's own
    const searchJobs = () =>
      deps.repos.jobs
        .list({ kind: 'search-index', limit: 100 })
        .then((all) => all.filter((j) => JSON.stringify(j.payload).includes('"readme"')).map((j) => j.payload));
    assert.deepEqual(await searchJobs(), []);
    const worker = new JobWorker({
      jobs: deps.repos.jobs,
      clock: deps.clock,
      handlers: { 'render-readme': (payload) => renderVersionReadme(deps, payload) },
    });
    const emitted = deps.emitted.length;
    assert.ok((await worker.runDue()) >= 1);
    assert.deepEqual(await searchJobs(), [{ ref: { namespace: 'alice', host: ref.host, name: 'readme' } }], 'enqueued with the rendering');
    const rendered = (await getVersionDocument(deps, { ref, version: v('2.0.0-rc.1') })).derivedFiles['./readme.html'];
    assert.ok(rendered, 'the job recorded ./readme.html');
    assert.equal((await deps.blobs.getBytes(rendered as Integrity))?.toString(), '<h1>Title</h1>\n');
    assert.deepEqual(deps.emitted.slice(emitted), [{ type: 'package-changed', ref }]);
    // Idempotent: rendering again records the same file and announces nothing.
    await renderVersionReadme(deps, { versionId, path: './package/README.md' });
    assert.equal((await getVersionDocument(deps, { ref, version: v('2.0.0-rc.1') })).derivedFiles['./readme.html'], rendered);
    assert.equal(deps.emitted.length, emitted + 1);
    assert.deepEqual(document.bundledDependencies, { [`alice@${deps.host}/dep`]: '^1.0.0' });
    assert.deepEqual((await getPackageDocument(deps, { ref })).tags, { next: '2.0.0-rc.1' });
  });

  it('a README too large to render still gets its package indexed (the publish left that to the README job)', async () => {
    const ref = packageRef(deps, 'alice', 'bigreadme');
    await publish(deps, alice, ref, '1.0.0', { files: { 'README.md': `# big\n${'x'.repeat(1024 * 1024)}` } });
    const pkg = await deps.repos.packages.find('alice', null, 'bigreadme');
    const versionId = (await deps.repos.versions.findState(pkg?.id ?? -1, '1.0.0'))?.id as number;
    const indexJobs = async () =>
      (await deps.repos.jobs.list({ kind: 'search-index', limit: 100 })).filter((j) => JSON.stringify(j.payload).includes('"bigreadme"'));
    assert.equal((await indexJobs()).length, 0, 'no search-index job of the publish');
    await renderVersionReadme(deps, { versionId, path: './package/README.md' });
    assert.equal((await getVersionDocument(deps, { ref, version: v('1.0.0') })).derivedFiles['./readme.html'], undefined, 'not rendered');
    assert.equal((await indexJobs()).length, 1, 'but indexed');
  });

  it('a version published before is VERSION_EXISTS, before the body is read', async () => {
    const ref = packageRef(deps, 'alice', 'again');
    await publish(deps, alice, ref, '1.0.0');
    let read = false;
    async function* parts(): AsyncGenerator<PublishPart> {
      read = true;
      yield* partsOf();
    }
    deps.emitted.length = 0;
    await assert.rejects(publishVersion(deps, { principal: alice, ref, version: v('1.0.0'), parts: parts() }), {
      code: 'VERSION_EXISTS',
      message: /Cannot publish over "alice@[^"]+\/again@1\.0\.0"/,
    });
    assert.equal(read, false);
    assert.deepEqual(deps.emitted, []);
  });

  it('concurrent publishes of one new version: one wins, the other is VERSION_EXISTS (the unique constraint decides)', async () => {
    const ref = packageRef(deps, 'alice', 'race');
    const results = await Promise.allSettled([
      publish(deps, alice, ref, '1.0.0', { files: { 'a.js': 'a' } }),
      publish(deps, alice, ref, '1.0.0', { files: { 'b.js': 'b' } }),
    ]);
    assert.deepEqual(results.map((r) => r.status).sort(), ['fulfilled', 'rejected']);
    const failed = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    assert.equal((failed.reason as { code?: string }).code, 'VERSION_EXISTS');
    assert.deepEqual(Object.keys((await getPackageDocument(deps, { ref })).versions), ['1.0.0']);
    assert.equal(deps.emitted.filter((e) => e.type === 'version-published' && e.ref.name === ref.name).length, 1);
  });

  it('authorises once, before the body: a package abandoned while its body arrives refuses the publish in the transaction', async () => {
    const ref = packageRef(deps, 'alice', 'abandoned-meanwhile');
    await publish(deps, alice, ref, '1.0.0');
    deps.emitted.length = 0;
    // the body's file comes after the package was abandoned (the early authorisation passed)
    const parts = async function* (): AsyncGenerator<PublishPart> {
      await abandonPackage(deps, { principal: alice, ref });
      yield* partsOf({ files: { 'index.js': 'late\n' } });
    };
    await assert.rejects(publishVersion(deps, { principal: alice, ref, version: v('1.1.0'), parts: parts() }), {
      code: 'PACKAGE_ABANDONED',
    });
    assert.equal(await deps.repos.versions.findState((await getPackageDocumentRow(ref)).id, '1.1.0'), undefined, 'nothing committed');
    assert.deepEqual(
      deps.emitted.map((e) => e.type),
      ['package-changed'],
      'the abandon only',
    );
  });

  it('refuses bodies without files, with duplicate paths, too many files or too many bytes, and strangers', async () => {
    const ref = packageRef(deps, 'alice', 'refused');
    deps.emitted.length = 0;
    await assert.rejects(publishVersion(deps, { principal: alice, ref, version: v('1.0.0'), parts: partsOf({ files: {} }) }), {
      code: 'INVALID_MULTIPART',
    });
    const duplicate = async function* (): AsyncGenerator<PublishPart> {
      for (const name of ['package/A.js', 'package/a.js'])
        yield { kind: 'file', filename: name, stream: Readable.from([Buffer.from('x')]) };
    };
    await assert.rejects(publishVersion(deps, { principal: alice, ref, version: v('1.0.0'), parts: duplicate() }), {
      code: 'DUPLICATE_PATH',
    });
    await assert.rejects(publishVersion(deps, { principal: alice, ref, version: v('1.0.0'), parts: partsOf({ files: { '../x': 'x' } }) }), {
      code: 'INVALID_PATH',
    });
    const small = { ...deps, limits: { ...deps.limits, maxFiles: 1, maxFileBytes: 4, maxVersionBytes: 6, maxDependencies: 0 } };
    await assert.rejects(
      publishVersion(small, { principal: alice, ref, version: v('1.0.0'), parts: partsOf({ files: { a: '1', b: '2' } }) }),
      {
        code: 'TOO_MANY_FILES',
      },
    );
    await assert.rejects(publishVersion(small, { principal: alice, ref, version: v('1.0.0'), parts: partsOf({ files: { a: '12345' } }) }), {
      code: 'FILE_TOO_LARGE',
    });
    await assert.rejects(
      publishVersion(small, {
        principal: alice,
        ref,
        version: v('1.0.0'),
        parts: partsOf({ files: { a: '1' }, fields: { dependencies: '{"alice/dep":"1"}' } }),
      }),
      { code: 'TOO_MANY_DEPENDENCIES' },
    );
    await assert.rejects(publish(deps, alice, ref, '1.0.0', { fields: { dependencies: 'not json' } }), { code: 'INVALID_FIELD' });
    await assert.rejects(publish(deps, alice, ref, '1.0.0', { fields: { tag: '1.x' } }), { code: 'INVALID_TAG' });
    await assert.rejects(publish(deps, bob, ref, '1.0.0'), { code: 'NOT_A_MEMBER' });
    await assert.rejects(publish(deps, alice, packageRef(deps, 'nobody', 'x'), '1.0.0'), { code: 'NAMESPACE_NOT_FOUND' });
    assert.deepEqual(deps.emitted, []);
    await assert.rejects(getPackageDocument(deps, { ref }), { code: 'PACKAGE_NOT_FOUND' }, 'nothing was recorded');
  });

  it('records the npm tarball the client uploaded with the version, in its transaction; a refused publish records none', async () => {
    const ref = packageRef(deps, 'alice', 'uploaded');
    const tarball = await deps.blobs.putBytes(Buffer.from('the bytes npm uploaded'));
    const npmTarball = {
      integrity: tarball.integrity,
      shasum: 'a'.repeat(40),
      size: 22,
      manifest: { bin: { x: 'x.js' } },
      source: 'published' as const,
    };
    let recordedWhenAnnounced: unknown;
    const stop = deps.events.subscribe(async (event) => {
      if (event.type !== 'version-published') return;
      const pkg = await deps.repos.packages.find('alice', null, 'uploaded');
      recordedWhenAnnounced = pkg ? (await deps.repos.npmTarballs.findByPackageId(pkg.id, event.version))?.integrity : undefined;
    });
    try {
      await publishVersion(deps, { principal: alice, ref, version: v('1.0.0'), parts: partsOf(), npmTarball });
    } finally {
      stop();
    }
    assert.equal(recordedWhenAnnounced, tarball.integrity, 'recorded before version-published');
    const pkg = await deps.repos.packages.find('alice', null, 'uploaded');
    const [row] = await deps.repos.npmTarballs.listVersions(pkg?.id as number);
    assert.equal(row?.tarball_integrity, tarball.integrity);
    assert.equal(row?.shasum, 'a'.repeat(40));
    assert.deepEqual(row?.manifest, { bin: { x: 'x.js' } });

    const other = await deps.blobs.putBytes(Buffer.from('other bytes'));
    await assert.rejects(
      publishVersion(deps, {
        principal: bob,
        ref,
        version: v('1.1.0'),
        parts: partsOf(),
        npmTarball: { ...npmTarball, integrity: other.integrity },
      }),
      { code: 'NOT_A_MAINTAINER' },
    );
    assert.equal((await deps.repos.npmTarballs.listVersions(pkg?.id as number)).length, 1);
  });

  it('commits only once every blob it references is durable (synced while the transaction runs), and answers what it recorded', async () => {
    const ref = packageRef(deps, 'alice', 'durable');
    const order: string[] = [];
    let syncing = 0;
    const blobs = {
      ...deps.blobs,
      async sync(integrities: Iterable<Integrity>) {
        const list = [...integrities];
        syncing += 1;
        await deps.blobs.sync(list);
        syncing -= 1;
        order.push(`synced ${list.length}`);
      },
    };
    const uow = {
      async transaction<T>(work: Parameters<typeof deps.uow.transaction<T>>[0]) {
        const result = await deps.uow.transaction(work);
        order.push(`committed with ${syncing} syncs pending`);
        return result;
      },
    };
    const files = { 'a.js': 'a', 'b.js': 'b', 'README.md': '# r' };
    const { document } = await publish({ ...deps, blobs, uow }, alice, ref, '1.0.0', { files });
    assert.equal(order.at(-1), 'committed with 0 syncs pending');
    // one sync: the files and the version document (the README is rendered later, by its job)
    assert.deepEqual(order.slice(0, -1), ['synced 4']);
    assert.deepEqual(document, await getVersionDocument(deps, { ref, version: v('1.0.0') }));
  });

  it('a failed fsync fails the publish and commits nothing', async () => {
    const ref = packageRef(deps, 'alice', 'unsynced');
    let calls = 0;
    const blobs = {
      ...deps.blobs,
      async sync(integrities: Iterable<Integrity>) {
        calls += 1;
        if (calls === 1) throw appError('SERVICE_UNAVAILABLE', 'The blob storage failed.');
        await deps.blobs.sync(integrities);
      },
    };
    deps.emitted.length = 0;
    await assert.rejects(publish({ ...deps, blobs }, alice, ref, '1.0.0', { files: { 'a.js': 'a', 'b.js': 'b' } }), {
      code: 'SERVICE_UNAVAILABLE',
    });
    assert.deepEqual(deps.emitted, []);
    await assert.rejects(getPackageDocument(deps, { ref }), { code: 'PACKAGE_NOT_FOUND' }, 'nothing was recorded');
    await publish(deps, alice, ref, '1.0.0', { files: { 'a.js': 'a' } });
  });
});
