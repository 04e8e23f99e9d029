// `npm run bench:storage` (node --import tsx bench/storage.ts): issue 14's storage figures in one run.
// The last 40 releases of real npm packages (fetched once with `npm pack` from the registry that
// `npm config get registry` names, cached in bench/.cache/storage/, gitignored) are published through
// the Entropic API, in release order, to two registries on the embedded default: one as today
// (raw blobs) and one with BLOB_PACKING=on (its blob-repack job packs online). Then: allocated disk
// bytes (`du`-style st_blocks) of each blob store against the tarballs' bytes, publish round trips,
// and object reads (10 KB, 1 MB) from each. Disk figures do not depend on load; timings do (the
// load average is recorded). Not part of `npm test`.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { createFsBlobStore, createPackedBlobStore, diskUsage } from '@entropic/blobs';
import { extract } from 'tar-stream';
import { sourceText } from './lib/corpus.ts';
import { percentile } from './lib/load.ts';
import { encodePublishBody, type PublishFile } from './lib/multipart.ts';
import { type BenchRegistry, REPO_ROOT, startRegistry } from './lib/registry.ts';

const PACKAGES = (process.env.BENCH_STORAGE_PACKAGES ?? 'semver,commander,express').split(',');
const VERSIONS = 40;
const CACHE = join(REPO_ROOT, 'bench/.cache/storage');

/** The tarballs of the last VERSIONS releases (no pre-releases), fetched with `npm pack` unless cached. */
function tarballs(name: string): Array<{ version: string; path: string }> {
  const listFile = join(CACHE, `${name}.versions`);
  if (!existsSync(listFile)) {
    const all = JSON.parse(execFileSync('npm', ['view', name, 'versions', '--json'], { encoding: 'utf8' })) as string[];
    execFileSync('mkdir', ['-p', CACHE]);
    execFileSync('sh', [
      '-c',
      `printf '%s' "$1" > "$2"`,
      'sh',
      all
        .filter((v) => !v.includes('-'))
        .slice(-VERSIONS)
        .join(' '),
      listFile,
    ]);
  }
  const versions = execFileSync('cat', [listFile], { encoding: 'utf8' }).trim().split(/\s+/);
  const missing = versions.filter((v) => !existsSync(join(CACHE, `${name}-${v}.tgz`)));
  if (missing.length > 0) execFileSync('npm', ['pack', ...missing.map((v) => `${name}@${v}`), '--silent'], { cwd: CACHE, stdio: 'ignore' });
  return versions.map((version) => ({ version, path: join(CACHE, `${name}-${version}.tgz`) }));
}

async function filesOf(tgz: Buffer): Promise<PublishFile[]> {
  const files: PublishFile[] = [];
  const tar = extract();
  const done = (async () => {
    for await (const entry of tar) {
      const chunks: Buffer[] = [];
      for await (const chunk of entry) chunks.push(chunk as Buffer);
      const path = entry.header.name.replace(/^[^/]+\//, '');
      if (entry.header.type === 'file') files.push({ path, content: Buffer.concat(chunks) });
    }
  })();
  Readable.from([tgz]).pipe(createGunzip()).pipe(tar);
  await done;
  return files;
}

async function publish(registry: BenchRegistry, name: string, version: string, files: PublishFile[]): Promise<number> {
  const { body, contentType } = encodePublishBody({}, files);
  const started = performance.now();
  const response = await fetch(`${registry.url}/packages/package/${registry.namespace}/${name}/versions/${version}`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${registry.token}`, 'content-type': contentType },
    body: new Uint8Array(body),
  });
  const text = await response.text();
  if (response.status !== 201) throw new Error(`publish ${name}@${version}: ${response.status} ${text}`);
  return performance.now() - started;
}

async function countRaw(blobDir: string): Promise<number> {
  let raw = 0;
  const root = join(blobDir, 'sha512');
  for (const a of await readdir(root).catch(() => [] as string[])) {
    for (const b of await readdir(join(root, a)).catch(() => [] as string[])) {
      for (const file of await readdir(join(root, a, b)).catch(() => [] as string[])) {
        const head = await readFile(join(root, a, b, file)).catch(() => Buffer.alloc(0));
        if (head.subarray(0, 8).toString().startsWith('ENTPACK') === false) raw += 1;
      }
    }
  }
  return raw;
}

async function countDirectories(dir: string): Promise<number> {
  let count = 0;
  const walk = async (path: string): Promise<void> => {
    const entries = await readdir(path, { withFileTypes: true }).catch(() => []);
    for (const entry of entries) {
      if (!entry.isDirectory()) continue;
      count += 1;
      await walk(join(path, entry.name));
    }
  };
  await walk(dir);
  return count + 1;
}

interface Release {
  name: string;
  version: string;
  tgz: Buffer;
}

/** A local upstream npm registry serving the releases: packuments (manifests from the tarballs) and tarballs. */
async function startUpstream(releases: Release[]): Promise<{ url: string; close: () => Promise<void> }> {
  const packuments = new Map<string, Buffer>();
  const tarballsByPath = new Map<string, Buffer>();
  const server = createServer((request, response) => {
    const path = decodeURIComponent(new URL(request.url ?? '/', 'http://upstream').pathname);
    const body = tarballsByPath.get(path) ?? packuments.get(path.slice(1));
    if (body === undefined) {
      response.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"Not found"}');
      return;
    }
    response.writeHead(200, { 'content-type': path.endsWith('.tgz') ? 'application/octet-stream' : 'application/json' }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const byName = new Map<string, Release[]>();
  for (const release of releases) byName.set(release.name, [...(byName.get(release.name) ?? []), release]);
  for (const [name, list] of byName) {
    const versions: Record<string, unknown> = {};
    const time: Record<string, string> = {};
    for (const [i, { version, tgz }] of list.entries()) {
      const manifest = JSON.parse((await filesOf(tgz)).find((f) => f.path === 'package.json')?.content.toString('utf8') ?? '{}');
      const file = `/${name}/-/${name}-${version}.tgz`;
      tarballsByPath.set(file, tgz);
      versions[version] = {
        ...manifest,
        name,
        version,
        dist: {
          tarball: `${url}${file}`,
          integrity: `sha512-${createHash('sha512').update(tgz).digest('base64')}`,
          shasum: createHash('sha1').update(tgz).digest('hex'),
        },
      };
      time[version] = new Date(Date.UTC(2020, 0, 1 + i)).toISOString();
    }
    packuments.set(name, Buffer.from(JSON.stringify({ name, 'dist-tags': { latest: list.at(-1)?.version }, versions, time })));
  }
  return { url, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

/**
 * Issue 14's second figure: the releases mirrored through `legacy` by a packed registry, every
 * tarball fetched through it and compared with the upstream's bytes; then, once its repack job
 * has packed what the mirror stored (nothing raw, and the packed count stable for 45 s), its store.
 */
async function mirrored(releases: Release[], common: Parameters<typeof startRegistry>[0], dir: string) {
  const upstream = await startUpstream(releases);
  const registry = await startRegistry({
    ...common,
    env: {
      CACHE_DIR: dir,
      BLOB_PACKING: 'on',
      BLOB_REPACK_GRACE_SECONDS: '0',
      BLOB_REPACK_INTERVAL_SECONDS: '15',
      LEGACY_UPSTREAM: upstream.url,
    },
  });
  try {
    let identical = 0;
    for (const name of new Set(releases.map((r) => r.name))) {
      const packument = (await (await fetch(`${registry.url}/${name}`)).json()) as {
        versions: Record<string, { dist: { tarball: string } }>;
      };
      for (const release of releases.filter((r) => r.name === name)) {
        const tarball = packument.versions[release.version]?.dist.tarball;
        if (tarball === undefined) throw new Error(`${name}@${release.version} is not in the mirrored packument`);
        const bytes = Buffer.from(await (await fetch(tarball)).arrayBuffer());
        if (!bytes.equals(release.tgz)) throw new Error(`${name}@${release.version}: the mirror served other bytes than the upstream's`);
        identical += 1;
      }
    }
    await settled(dir);
    // served again from the packed store, after packing
    let identicalAfter = 0;
    for (const release of releases) {
      const bytes = Buffer.from(
        await (await fetch(`${registry.url}/${release.name}/-/${release.name}-${release.version}.tgz`)).arrayBuffer(),
      );
      if (bytes.equals(release.tgz)) identicalAfter += 1;
    }
    return { identical, identicalAfter, du: await diskUsage(dir), storage: await registryStorage(dir) };
  } finally {
    await registry.stop();
    await upstream.close();
  }
}

/** Waits (at most 15 minutes) until nothing in the store is raw and the packed count has not changed for 45 s. */
async function settled(dir: string): Promise<void> {
  const deadline = Date.now() + 15 * 60_000;
  let stableSince = Date.now();
  let last = -1;
  while (Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 3000));
    const storage = await registryStorage(dir);
    if (storage.rawObjects > 0 || storage.packedObjects !== last) stableSince = Date.now();
    last = storage.packedObjects;
    if (Date.now() - stableSince > 45_000) return;
  }
}

async function registryStorage(dir: string) {
  const inspect = createPackedBlobStore(createFsBlobStore({ dir }), { indexDir: join(dir, 'packs') });
  try {
    return await inspect.packing.report();
  } finally {
    await inspect.close();
  }
}

/** Median and p90 ms of `count` sequential GETs of one object, checking every answer's bytes. */
async function readTimes(url: string, expected: Buffer, count: number): Promise<{ p50: number; p90: number }> {
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    const started = performance.now();
    const response = await fetch(url);
    const bytes = Buffer.from(await response.arrayBuffer());
    times.push(performance.now() - started);
    if (!bytes.equals(expected)) throw new Error(`${url}: the bytes differ`);
  }
  return { p50: percentile(times, 50), p90: percentile(times, 90) };
}

const objectUrl = (registry: BenchRegistry, content: Buffer) =>
  `${registry.url}/objects/object/sha512/${createHash('sha512').update(content).digest('base64')}`;

async function main(): Promise<void> {
  const work = await mkdtemp(join(tmpdir(), 'entropic-bench-storage-'));
  const dirs = { raw: join(work, 'raw-blobs'), packed: join(work, 'packed-blobs') };
  const common = { backend: 'embedded' as const, postgresAdminUrl: '', redisUrl: '', logLevel: 'warn', user: 'bench' };
  const raw = await startRegistry({ ...common, env: { CACHE_DIR: dirs.raw } });
  const packed = await startRegistry({
    ...common,
    env: { CACHE_DIR: dirs.packed, BLOB_PACKING: 'on', BLOB_REPACK_GRACE_SECONDS: '0', BLOB_REPACK_INTERVAL_SECONDS: '20' },
  });
  const lines: string[] = [];
  try {
    let tarballBytes = 0;
    let contentBytes = 0;
    let fileCount = 0;
    const times = { raw: [] as number[], packed: [] as number[] };
    const releases: Release[] = [];
    for (const name of PACKAGES) {
      for (const { version, path } of tarballs(name)) {
        const tgz = await readFile(path);
        releases.push({ name, version, tgz });
        const files = await filesOf(tgz);
        tarballBytes += tgz.byteLength;
        contentBytes += files.reduce((sum, f) => sum + f.content.byteLength, 0);
        fileCount += files.length;
        // interleaved, so the machine's load hits both alike
        times.raw.push(await publish(raw, name, version, files));
        times.packed.push(await publish(packed, name, version, files));
      }
    }
    // wait until the blob-repack job (every 20 s) has packed what the publishes and their jobs
    // (npm tarballs, READMEs) stored: nothing raw, and the packed count unchanged for 45 s
    await settled(dirs.packed);
    const leftRaw = await countRaw(dirs.packed);
    const du = { raw: await diskUsage(dirs.raw), packed: await diskUsage(dirs.packed) };
    // where the packed store's allocated bytes are: each top-level entry of its directory
    const parts: Array<[string, number]> = [];
    for (const name of await readdir(dirs.packed)) parts.push([name, await diskUsage(join(dirs.packed, name))]);
    const directoryCount = await countDirectories(join(dirs.packed, 'sha512'));
    const storage = await registryStorage(dirs.packed);
    // the objects read below are published after the store was measured
    const small = sourceText('read-10k', 10 * 1024);
    const large = sourceText('read-1m', 1024 * 1024);
    for (const registry of [raw, packed]) {
      await publish(registry, 'reads', '1.0.0', [
        { path: 'small.js', content: small },
        { path: 'large.js', content: large },
      ]);
    }
    await settled(dirs.packed);
    const reads: Record<string, { p50: number; p90: number }> = {};
    for (const [label, content] of [
      ['10 KB', small],
      ['1 MB', large],
    ] as const) {
      for (let round = 0; round < 2; round++) {
        // interleaved rounds; the second one is kept (warm caches on both)
        reads[`${label} raw`] = await readTimes(objectUrl(raw, content), content, 200);
        reads[`${label} packed`] = await readTimes(objectUrl(packed, content), content, 200);
      }
    }
    const pct = (a: number, b: number) => `${((100 * a) / b).toFixed(1)}%`;
    lines.push(
      `# bench:storage — ${new Date().toISOString().slice(0, 10)}`,
      '',
      `Command: \`npm run bench:storage\` (packages: ${PACKAGES.join(', ')}; the last ${VERSIONS} releases of each, \`npm pack\` from ${execFileSync('npm', ['config', 'get', 'registry'], { encoding: 'utf8' }).trim()}).`,
      `Load average at the end: ${loadavg()
        .map((l) => l.toFixed(1))
        .join(
          ' ',
        )} on ${execFileSync('nproc', { encoding: 'utf8' }).trim()} cores (a shared, loaded machine: timings are indicative; disk figures are not affected).`,
      '',
      `Versions: ${times.raw.length}; files: ${fileCount}; file bytes: ${contentBytes}; tarball bytes: ${tarballBytes}.`,
      '',
      '| store | allocated disk bytes (du) | vs tarballs |',
      '|---|---|---|',
      `| raw blobs (today) | ${du.raw} | ${pct(du.raw, tarballBytes)} |`,
      `| packed (BLOB_PACKING=on): files, version documents, READMEs, npm tarballs (as recipes) | ${du.packed} | ${pct(du.packed, tarballBytes)} |`,
      '',
      '| packed store part | allocated bytes | vs tarballs |',
      '|---|---|---|',
      ...parts.map(([name, bytes]) => `| ${name}/ | ${bytes} | ${pct(bytes, tarballBytes)} |`),
      `| (of which fan-out directories under sha512/) | ${directoryCount * 4096} (${directoryCount} directories) | ${pct(directoryCount * 4096, tarballBytes)} |`,
      '',
      '| packed payloads by codec | objects | content bytes | stored bytes |',
      '|---|---|---|---|',
      ...Object.entries(storage.byCodec).map(([codec, c]) => `| ${codec} | ${c.objects} | ${c.contentBytes} | ${c.storedBytes} |`),
      '',
      `Packed store: ${storage.packedObjects} packed objects in ${storage.segments} segments, ${storage.rawObjects} raw (${leftRaw} raw files at measurement); content ${storage.contentBytes} bytes, stored ${storage.storedBytes} bytes.`,
      '',
      '| publish round trip (ms) | p50 | p90 | max |',
      '|---|---|---|---|',
      ...(['raw', 'packed'] as const).map(
        (k) =>
          `| ${k} | ${percentile(times[k], 50).toFixed(1)} | ${percentile(times[k], 90).toFixed(1)} | ${Math.max(...times[k]).toFixed(1)} |`,
      ),
      '',
      '| object read (ms, 200 sequential GETs, bytes checked) | p50 | p90 |',
      '|---|---|---|',
      ...Object.entries(reads).map(([label, r]) => `| ${label} | ${r.p50.toFixed(2)} | ${r.p90.toFixed(2)} |`),
      '',
    );
    const mirror = await mirrored(releases, common, join(work, 'mirrored-blobs'));
    lines.push(
      '## The same releases mirrored through `legacy` (packed store)',
      '',
      `A third registry (BLOB_PACKING=on) with LEGACY_UPSTREAM at a local upstream serving these ${releases.length} tarballs; every tarball fetched through it with npm's URLs: ${mirror.identical} of ${releases.length} byte-identical to the upstream's on first fetch, ${mirror.identicalAfter} of ${releases.length} again after packing.`,
      '',
      '| store | allocated disk bytes (du) | vs upstream tarballs |',
      '|---|---|---|',
      `| mirrored, packed | ${mirror.du} | ${pct(mirror.du, tarballBytes)} |`,
      '',
      '| packed payloads by codec | objects | content bytes | stored bytes |',
      '|---|---|---|---|',
      ...Object.entries(mirror.storage.byCodec).map(([codec, c]) => `| ${codec} | ${c.objects} | ${c.contentBytes} | ${c.storedBytes} |`),
      '',
    );
  } finally {
    await Promise.allSettled([raw.stop(), packed.stop()]);
    await rm(work, { recursive: true, force: true });
  }
  const text = lines.join('\n');
  console.log(text);
  await mkdir(join(REPO_ROOT, 'bench/results'), { recursive: true });
  await writeFile(join(REPO_ROOT, `bench/results/storage-${new Date().toISOString().slice(0, 10)}.md`), text);
}

await main();
