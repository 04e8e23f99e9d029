// Issue 14 with 12: packed storage on S3 with the pack index in the database, shared by every
// instance that shares the bucket (docs/decisions/packed-storage.md, "Index: a port"). A real Ceph
// RADOS Gateway (testkit); PGlite or PostgreSQL for the in-process part; two registry processes
// (PostgreSQL only: PGlite serves one process) for the rest.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { type BlobStore, createPackedBlobStore, type PackedBlobStore } from '@entropic/blobs';
import { createS3BlobStore } from '@entropic/blobs/s3';
import { checkIntegrity, collectGarbage, systemClock } from '@entropic/core';
import { createDatabase, createDatabasePackLog, createRepositories, type DatabaseHandle, migrate } from '@entropic/db';
import { encodePublishBody, type RegistryProcess, type S3Gateway, startRegistryProcess, startS3Gateway } from '@entropic/testkit';
import { hostFromUrl, type Integrity, sha512Integrity } from '@entropic/types';
import { sql } from 'kysely';

const text = (seed: number, lines = 400) =>
  Buffer.from(Array.from({ length: lines }, (_, i) => `export const v${i} = ${i % 29 === seed % 29 ? seed : i}; // ${i}\n`).join(''));

let gateway: S3Gateway;
before(async () => {
  gateway = await startS3Gateway();
});
after(async () => {
  await gateway?.stop();
});

/** A database for this file: PGlite in memory, or a fresh schema on POSTGRES_URL (dropped at the end). */
async function openDatabase(schema?: string): Promise<DatabaseHandle> {
  const handle = await createDatabase({ postgresUrl: process.env.POSTGRES_URL, dataDir: 'memory://', schema, poolSize: 4 });
  await migrate(handle.db);
  return handle;
}

/** A packed store over the gateway's bucket (under `prefix`), its index in `database`: what one registry instance builds. */
function instance(database: DatabaseHandle, prefix: string, leaseMs = 60_000): PackedBlobStore {
  const s3 = createS3BlobStore({
    bucket: gateway.bucket,
    endpoint: gateway.endpoint,
    forcePathStyle: true,
    prefix,
    credentials: { accessKeyId: gateway.accessKeyId, secretAccessKey: gateway.secretAccessKey },
  });
  return createPackedBlobStore(s3, { log: createDatabasePackLog(database.db), cacheBytes: 0, leaseMs });
}

async function bytesOf(store: BlobStore, integrity: Integrity): Promise<Buffer | undefined> {
  return store.getBytes(integrity);
}

describe('packed storage on S3, index in the database, two instances in one process', () => {
  it('each sees what the other packed; one packs at a time; a stale reader retries across compaction; a lost index is rebuilt', async () => {
    const schema = process.env.POSTGRES_URL ? `test_${randomBytes(6).toString('hex')}` : undefined;
    const database = await openDatabase(schema);
    const a = instance(database, 'shared/');
    const b = instance(database, 'shared/');
    try {
      const objects: Array<{ integrity: Integrity; content: Buffer }> = [];
      for (let i = 0; i < 24; i++) {
        const content = text(i);
        objects.push({ integrity: (await (i % 2 === 0 ? a : b).putBytes(content)).integrity, content });
      }
      for (const { integrity, content } of objects) assert.deepEqual(await bytesOf(b, integrity), content); // b's view loaded, all raw
      // both repack at once: the lease lets one of them do it, the other skips
      const [ra, rb] = await Promise.all([a.packing.repack(), b.packing.repack()]);
      assert.equal(ra.packed + rb.packed, 24);
      assert.equal(Number(ra.busy === true) + Number(rb.busy === true), 1, 'exactly one packed');
      for (const { integrity, content } of objects) {
        assert.deepEqual(await bytesOf(a, integrity), content);
        assert.deepEqual(await bytesOf(b, integrity), content);
      }
      // a deletes most; b, whose view is stale, reads the rest while a compacts the segment away
      for (const { integrity } of objects.slice(0, 20)) await a.delete(integrity);
      assert.equal((await a.packing.compact()).segmentsRewritten, 1);
      for (const { integrity, content } of objects.slice(20)) {
        assert.deepEqual(await bytesOf(b, integrity), content);
        assert.equal(await b.verify(integrity), true);
      }
      // the index is lost (the table emptied): rebuilt from the segments' own tables
      await database.db.deleteFrom('pack_index_log').execute();
      const c = instance(database, 'shared/');
      assert.equal(await bytesOf(c, objects[23]?.integrity as Integrity), undefined);
      const rebuilt = await c.packing.rebuildIndex();
      assert.equal(rebuilt.segments, 1);
      for (const { integrity, content } of objects.slice(20)) assert.deepEqual(await bytesOf(c, integrity), content);
      await c.close();
    } finally {
      await a.close();
      await b.close();
      if (schema) await sql.raw(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).execute(database.db);
      await database.close();
    }
  });
});

describe('two registry processes sharing a bucket and PostgreSQL', {
  skip: !process.env.POSTGRES_URL && 'needs POSTGRES_URL (PGlite serves one process)',
}, () => {
  it('both publish, one repacks at a time, both read every object exactly; kill -9 during repack loses nothing; fsck clean', async (context) => {
    const env = {
      ...gateway.env,
      S3_PREFIX: 'registry/',
      BLOB_REPACK_GRACE_SECONDS: '0',
      BLOB_REPACK_INTERVAL_SECONDS: '1',
      BLOB_PACK_LEASE_SECONDS: '3',
      JOBS_LEASE_SECONDS: '3',
      JOBS_POLL_MS: '200',
    };
    let a: RegistryProcess | undefined = await startRegistryProcess({ env });
    const shared = { ...env, POSTGRES_URL: a.env.POSTGRES_URL as string, ENTROPIC_TEST_SCHEMA: a.env.ENTROPIC_TEST_SCHEMA as string };
    const b = await startRegistryProcess({ env: shared });
    const database = await createDatabase({ postgresUrl: shared.POSTGRES_URL, dataDir: 'memory://', poolSize: 2 });
    const observer = instance(database, 'registry/');
    const published = new Map<string, Buffer>();
    try {
      const alice = await a.createUser('alice');
      const publish = async (via: RegistryProcess, version: number) => {
        const files: Record<string, Buffer> = {};
        for (let f = 0; f < 4; f++) files[`lib/file${f}.js`] = text(version * 7 + f, 300);
        const { payload, contentType } = await encodePublishBody({ files });
        const response = await fetch(`${via.url}/packages/package/alice/pkg/versions/1.0.${version}`, {
          method: 'PUT',
          headers: { authorization: `Bearer ${alice.token}`, 'content-type': contentType },
          body: new Uint8Array(payload),
        });
        assert.equal(response.status, 201, await response.clone().text());
        for (const content of Object.values(files)) published.set(sha512Integrity(content), content);
      };
      const readAll = async (via: RegistryProcess) => {
        for (const [integrity, content] of published) {
          const response = await fetch(`${via.url}/objects/object/sha512/${encodeURIComponent(integrity.slice(7))}`);
          assert.equal(response.status, 200, `${integrity} from ${via.url}`);
          const body = Buffer.from(await response.arrayBuffer());
          assert.equal(createHash('sha512').update(body).digest('base64'), integrity.slice(7));
          assert.deepEqual(body, content);
        }
      };
      /** every published file packed: no raw copy left in the bucket, its entry live in the shared index */
      const allPacked = async () => {
        for (let i = 0; i < 600; i++) {
          let raw = 0;
          for (const integrity of published.keys()) if ((await observer.inner.stat(integrity as Integrity)) !== undefined) raw += 1;
          if (raw === 0 && (await observer.packing.report()).packedObjects >= published.size) return;
          await sleep(100);
        }
        assert.fail('the published objects were not all packed');
      };
      for (let v = 0; v < 6; v++) await publish(v % 2 === 0 ? a : b, v);
      await allPacked();
      await readAll(a);
      await readAll(b);

      // more publishes, and a is killed (-9) while it holds the pack lease (or, if b keeps winning it, anyway)
      for (let v = 6; v < 12; v++) await publish(v % 2 === 0 ? a : b, v);
      const pid = String(a.child.pid);
      let caught = false;
      for (let i = 0; i < 400 && !caught; i++) {
        const held = await database.db.selectFrom('pack_leases').select('holder').execute();
        caught = held.some((row) => row.holder.split(':')[1] === pid);
        if (!caught) await (i % 100 === 99 ? publish(b, 100 + i) : sleep(20)); // more work for the next repack
      }
      context.diagnostic(caught ? 'killed while it held the pack lease' : 'killed (it never held the pack lease while polled)');
      a.child.kill('SIGKILL');
      await new Promise((resolve) => a?.child.once('exit', resolve));
      await a.stop({ keepData: true });
      a = undefined;
      await allPacked(); // b takes over once the dead holder's lease expires
      await readAll(b);
      a = await startRegistryProcess({ env: shared });
      await readAll(a);
      const repos = createRepositories(database.db);
      // gc (grace 0): unreferenced blobs go, a segment a killed repack left unindexed is indexed, not deleted
      await collectGarbage({ repos, blobs: observer, clock: systemClock }, { graceSeconds: 0 });
      await readAll(b);
      const fsck = await checkIntegrity({ repos, blobs: observer, host: hostFromUrl(b.url) });
      assert.deepEqual(fsck.problems, []);
      for (const integrity of published.keys()) assert.equal(await observer.verify(integrity as Integrity), true);
    } finally {
      await observer.close();
      await database.close();
      await a?.stop({ keepData: true });
      await b.stop();
    }
  });
});

const SOURCES = {
  blobs: new URL('../../blobs/src/index.ts', import.meta.url).href,
  s3: new URL('../../blobs/src/s3-blob-store.ts', import.meta.url).href,
  db: new URL('../../db/src/index.ts', import.meta.url).href,
};
const TSX = import.meta.resolve('tsx');

describe('repack and compaction on S3 killed (-9), index on PostgreSQL', {
  skip: !process.env.POSTGRES_URL && 'needs POSTGRES_URL (PGlite serves one process)',
}, () => {
  it('loses nothing: every live object reads back exactly and verifies after each kill', async () => {
    const schema = `test_${randomBytes(6).toString('hex')}`;
    const database = await openDatabase(schema);
    const prefix = 'killed/';
    const objects: Array<{ integrity: Integrity; content: Buffer; deleted?: boolean }> = [];
    const seed = instance(database, prefix, 1000);
    // a loop of repacks and compactions in another process (its own connections, its own lease holder)
    const child = () => `
      const { createPackedBlobStore } = await import(${JSON.stringify(SOURCES.blobs)});
      const { createS3BlobStore } = await import(${JSON.stringify(SOURCES.s3)});
      const { createDatabase, createDatabasePackLog } = await import(${JSON.stringify(SOURCES.db)});
      const database = await createDatabase({ postgresUrl: ${JSON.stringify(process.env.POSTGRES_URL)}, dataDir: 'memory://', schema: ${JSON.stringify(schema)}, poolSize: 2 });
      const s3 = createS3BlobStore({ bucket: ${JSON.stringify(gateway.bucket)}, endpoint: ${JSON.stringify(gateway.endpoint)}, forcePathStyle: true,
        prefix: ${JSON.stringify(prefix)}, credentials: { accessKeyId: ${JSON.stringify(gateway.accessKeyId)}, secretAccessKey: ${JSON.stringify(gateway.secretAccessKey)} } });
      const store = createPackedBlobStore(s3, { log: createDatabasePackLog(database.db), leaseMs: 1000, segmentBytes: 8 * 1024 });
      process.stdout.write('ready\\n');
      for (;;) {
        await store.packing.repack({ limit: 5 });
        await store.packing.compact();
      }`;
    try {
      for (let i = 0; i < 60; i++) {
        const content = i % 3 === 0 ? randomBytes(2000) : text(i, 120);
        objects.push({ integrity: (await seed.putBytes(content)).integrity, content });
      }
      for (const [round, delayMs] of [100, 400, 900, 1500].entries()) {
        const proc = spawn(process.execPath, ['--import', TSX, '--input-type=module', '-e', child()], {
          stdio: ['ignore', 'pipe', 'inherit'],
        });
        await new Promise<void>((resolve, reject) => {
          proc.stdout.on('data', (chunk: Buffer) => chunk.toString().includes('ready') && resolve());
          proc.once('exit', (code) => reject(new Error(`the child exited (${code}) before it was ready`)));
        });
        await sleep(delayMs);
        proc.kill('SIGKILL');
        await new Promise((resolve) => proc.once('exit', resolve));
        const reader = instance(database, prefix);
        for (const { integrity, content, deleted } of objects) {
          if (deleted) continue;
          assert.deepEqual(await bytesOf(reader, integrity), content, `round ${round}`);
          assert.equal(await reader.verify(integrity), true, `round ${round}`);
        }
        // work for the next round: deletions for compaction, puts for repack
        for (const object of objects.slice(round * 12, round * 12 + 8)) {
          await reader.delete(object.integrity);
          object.deleted = true;
        }
        await reader.close();
      }
      const final = instance(database, prefix);
      for (let i = 0; i < 10 && (await final.packing.repack()).busy; i++) await sleep(500); // the last child's lease expires
      await final.packing.compact();
      for (const { integrity, content, deleted } of objects) {
        if (deleted) assert.equal(await final.stat(integrity), undefined);
        else assert.deepEqual(await bytesOf(final, integrity), content);
      }
      await final.close();
    } finally {
      await seed.close();
      await sql.raw(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).execute(database.db);
      await database.close();
    }
  });
});
