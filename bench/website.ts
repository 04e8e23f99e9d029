// `npm run bench:website [-- --only search] [--packages 5000]`: see bench/README.md.
// The website's targets (issue 16): search p50 ≤ 20 ms and p99 ≤ 100 ms for one-word queries
// over ≥ 5,000 packages on PostgreSQL. The registry runs pinned to core 0 (its PostgreSQL is the
// machine's service, not pinned), this load generator on core 1. Loopback only; every loop is
// bounded in count and in time. Not part of `npm test`.
import { spawnSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { encodePublishBody } from '@entropic/testkit';
import pg from 'pg';
import { canPin, LOAD_CPU, pinProcess } from './lib/cpu.ts';
import { keepAliveAgent, percentile, send } from './lib/load.ts';
import { type BenchRegistry, REPO_ROOT, startRegistry } from './lib/registry.ts';
import { createRunGuard } from './lib/run-guard.ts';

const { values: flags } = parseArgs({
  options: {
    packages: { type: 'string', default: '5000' },
    requests: { type: 'string', default: '2000' },
    only: { type: 'string' },
    'no-write': { type: 'boolean', default: false },
    'postgres-url': { type: 'string', default: process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres' },
    'redis-url': { type: 'string', default: process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (flags.help) {
  console.log(`Usage: npm run bench:website -- [--only search] [--packages N] [--requests N] [--no-write]
  --packages   corpus size (default 5000), seeded with SQL before the registry starts, indexed by its start-up backfill
  --requests   measured requests per case and concurrency (default 2000, after 200 warm-up requests)
  --only       cases to run, comma-separated (${'baseline,search-api,search-page,package-page'})`);
  process.exit(0);
}

const PACKAGES = Math.min(100_000, Math.max(100, Number(flags.packages)));
const REQUESTS = Math.min(50_000, Math.max(100, Number(flags.requests)));
const WARMUP = 200;

// --- the corpus: realistic package names, descriptions and keywords from a tech vocabulary ---

const WORDS = `react vue angular svelte express koa fastify hapi router parser lexer compiler bundler loader plugin
  webpack rollup vite babel eslint prettier jest mocha chai sinon lodash underscore moment dayjs luxon axios fetch http
  https socket websocket stream buffer crypto hash jwt oauth session cookie cors helmet logger winston pino debug chalk
  color colors yargs commander minimist glob rimraf mkdirp fs path url query string json yaml toml csv xml markdown
  html css sass less postcss tailwind bootstrap icon font image sharp canvas svg chart graph d3 three map geo date time
  uuid nanoid random math decimal bignum matrix vector tensor neural model cache redis mongo mysql postgres sqlite orm
  query schema validate validator zod joi ajv types typescript flow lint format test mock spy assert bench profile
  trace metrics monitor queue job worker cron schedule retry timeout promise async await event emitter observable rx
  signal state store redux mobx immutable immer proxy reactive hook context theme style layout grid flex animation
  motion gesture touch mobile native electron desktop terminal cli prompt spinner progress table tree diff patch merge
  semver version release publish deploy docker kube cloud aws azure gcp lambda serverless edge worker cdn dns mail smtp
  sms push notify slack discord bot chat auth login password token key secret vault config env dotenv settings`
  .split(/\s+/)
  .filter(Boolean);
const SUFFIXES = ['', '', '', '-js', '-utils', '-cli', '-core', '-plugin', '-lite', '-x', '-kit', '-tools'];
const VERBS = ['Fast', 'Tiny', 'Simple', 'Robust', 'Modern', 'Minimal', 'Typed', 'Streaming', 'Zero-dependency', 'Isomorphic'];
const NOUNS = ['library', 'toolkit', 'helper', 'framework', 'middleware', 'utility', 'wrapper', 'engine', 'client', 'adapter'];

/** A deterministic generator (mulberry32): the same corpus and queries every run. */
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const random = rng(16_3);
const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)] as T;

interface SeedPackage {
  name: string;
  /** null: a mirrored `legacy` package (unscoped npm name) */
  namespace: string | null;
  description: string;
  keywords: string[];
}

function generateCorpus(count: number): SeedPackage[] {
  const seen = new Set<string>();
  const out: SeedPackage[] = [];
  for (let guard = 0; out.length < count && guard < count * 50; guard++) {
    const a = pick(WORDS);
    const b = random() < 0.6 ? `-${pick(WORDS)}` : '';
    const name = `${a}${b}${pick(SUFFIXES)}`;
    const namespace = random() < 0.3 ? null : `team${Math.floor(random() * 50)}`;
    const key = `${namespace}/${name}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const topic = [pick(WORDS), pick(WORDS), pick(WORDS)];
    out.push({
      name,
      namespace,
      description: `${pick(VERBS)} ${a} ${pick(NOUNS)} for ${topic[0]} and ${topic[1]}, with ${topic[2]} support.`,
      keywords: [a, ...topic.slice(0, 1 + Math.floor(random() * 3))],
    });
  }
  return out;
}

/** One-word queries: exact names, name prefixes, vocabulary words (descriptions, keywords), typos. */
function generateQueries(corpus: SeedPackage[], count: number): string[] {
  const queries: string[] = [];
  for (let i = 0; i < count; i++) {
    const kind = i % 4;
    const word = pick(WORDS);
    if (kind === 0) queries.push(pick(corpus).name);
    else if (kind === 1) queries.push(word.slice(0, Math.max(3, Math.ceil(word.length * 0.6))));
    else if (kind === 2) queries.push(word);
    else if (word.length > 4) {
      const at = 1 + Math.floor(random() * (word.length - 2));
      queries.push(word.slice(0, at) + (word[at + 1] ?? '') + (word[at] ?? '') + word.slice(at + 2));
    } else queries.push(`${word}s`);
  }
  return queries;
}

/** Inserts the corpus as the mirror and publishes would leave it: package, version, latest tag, npm tarball row (the manifest). */
async function seedCorpus(postgresUrl: string, corpus: SeedPackage[]): Promise<void> {
  const client = new pg.Client({ connectionString: postgresUrl });
  await client.connect();
  try {
    await client.query('BEGIN');
    const namespaces = new Map<string, number>();
    const legacy = await client.query<{ id: number }>(`SELECT id FROM namespaces WHERE name = 'legacy' AND host IS NULL`);
    for (const pkg of corpus) {
      const ns = pkg.namespace ?? 'legacy';
      if (!namespaces.has(ns)) {
        const row =
          ns === 'legacy'
            ? legacy.rows[0]
            : (await client.query<{ id: number }>(`INSERT INTO namespaces (name, host, kind) VALUES ($1, NULL, 'org') RETURNING id`, [ns]))
                .rows[0];
        namespaces.set(ns, Number(row?.id));
      }
    }
    const integrity = `sha512-${Buffer.alloc(64, 7).toString('base64')}`;
    for (let i = 0; i < corpus.length; i += 500) {
      const batch = corpus.slice(i, i + 500);
      const ids = await client.query<{ id: string }>(
        `INSERT INTO packages (namespace_id, name) SELECT * FROM unnest($1::bigint[], $2::text[]) RETURNING id`,
        [batch.map((p) => namespaces.get(p.namespace ?? 'legacy')), batch.map((p) => p.name)],
      );
      const packageIds = ids.rows.map((r) => Number(r.id));
      await client.query(
        `INSERT INTO package_maintainers (package_id, namespace_id, accepted) SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::boolean[])`,
        [packageIds, batch.map((p) => namespaces.get(p.namespace ?? 'legacy')), batch.map(() => true)],
      );
      const versions = await client.query<{ id: string }>(
        `INSERT INTO versions (package_id, version, integrity, files, derived_files, dependencies, dev_dependencies, peer_dependencies,
           optional_dependencies, bundled_dependencies, signatures, total_bytes, file_count)
         SELECT id, '1.0.0', $2, '{}', '{}', '{}', '{}', '{}', '{}', '{}', '[]', 0, 0 FROM unnest($1::bigint[]) AS id RETURNING id`,
        [packageIds, integrity],
      );
      await client.query(`INSERT INTO dist_tags (package_id, tag, version) SELECT id, 'latest', '1.0.0' FROM unnest($1::bigint[]) AS id`, [
        packageIds,
      ]);
      await client.query(
        `INSERT INTO npm_tarballs (version_id, integrity, shasum, size, manifest, source)
         SELECT v, $2, 'da39a3ee5e6b4b0d3255bfef95601890afd80709', 0, m::jsonb, 'upstream' FROM unnest($1::bigint[], $3::text[]) AS t(v, m)`,
        [
          versions.rows.map((r) => Number(r.id)),
          integrity,
          batch.map((p) => JSON.stringify({ description: p.description, keywords: p.keywords })),
        ],
      );
    }
    await client.query('COMMIT');
  } finally {
    await client.end();
  }
}

async function waitIndexed(postgresUrl: string, expected: number, timeoutMs: number): Promise<number> {
  const started = performance.now();
  const client = new pg.Client({ connectionString: postgresUrl });
  await client.connect();
  try {
    for (;;) {
      const { rows } = await client.query<{ n: string }>('SELECT count(*) AS n FROM package_search');
      if (Number(rows[0]?.n) >= expected) return performance.now() - started;
      if (performance.now() - started > timeoutMs)
        throw new Error(`only ${rows[0]?.n} of ${expected} packages indexed after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 250));
    }
  } finally {
    await client.end();
  }
}

interface CaseResult {
  id: string;
  connections: number;
  requests: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  perSecond: number;
  hits: number;
}

/** `requests` GETs over `connections` keep-alive connections, each query in turn; latency per request. */
async function measureCase(id: string, connections: number, urls: string[], count: number): Promise<CaseResult> {
  const agents = Array.from({ length: connections }, () => keepAliveAgent());
  let next = 0;
  const latencies: number[] = [];
  let withHits = 0;
  const worker = async (agent: ReturnType<typeof keepAliveAgent>, measured: boolean, total: number) => {
    for (;;) {
      const i = next++;
      if (i >= total) return;
      const answer = await send(agent, urls[i % urls.length] as string, { timeoutMs: 30_000 });
      if (answer.status !== 200)
        throw new Error(`${urls[i % urls.length]} answered ${answer.status}: ${answer.body.toString().slice(0, 200)}`);
      if (measured) {
        latencies.push(answer.ms);
        if (answer.body.length > 2 && !answer.body.includes('"total":0') && !answer.body.includes('No packages match')) withHits++;
      }
    }
  };
  await Promise.all(agents.map((agent) => worker(agent, false, WARMUP)));
  next = 0;
  const started = performance.now();
  await Promise.all(agents.map((agent) => worker(agent, true, count)));
  const seconds = (performance.now() - started) / 1000;
  for (const agent of agents) agent.destroy();
  return {
    id,
    connections,
    requests: count,
    p50: percentile(latencies, 50),
    p90: percentile(latencies, 90),
    p99: percentile(latencies, 99),
    max: percentile(latencies, 100),
    perSecond: count / seconds,
    hits: withHits,
  };
}

/** The cases, by id: pages adds the package-page read here (same registry, same corpus). */
const cases: Record<string, (registry: BenchRegistry, queries: string[]) => Promise<CaseResult[]>> = {
  // the floor on this machine at this load: a request that does no work
  baseline: async (registry) => [await measureCase('GET /-/ping (floor)', 1, [`${registry.url}/-/ping`], REQUESTS)],
  'search-api': async (registry, queries) => {
    const urls = queries.map((q) => `${registry.url}/-/v1/search?text=${encodeURIComponent(q)}&size=20`);
    return [
      await measureCase('GET /-/v1/search?text=<word>&size=20', 1, urls, REQUESTS),
      await measureCase('GET /-/v1/search?text=<word>&size=20', 10, urls, REQUESTS),
    ];
  },
  'search-page': async (registry, queries) => {
    const urls = queries.map((q) => `${registry.url}/www/search?q=${encodeURIComponent(q)}`);
    return [await measureCase('GET /www/search?q=<word>', 1, urls, REQUESTS)];
  },
  // pages: the package page, warm (its body is cached until a domain event drops it). One
  // realistic package published through the API (README, code, dependencies, three versions),
  // and the pages of 100 corpus packages in turn.
  'package-page': async (registry, _queries) => {
    const name = await publishPagePackage(registry);
    const page = `${registry.url}/www/packages/${registry.namespace}/${name}`;
    const corpusPages = seededPages.slice(0, 100).map((p) => `${registry.url}/www/packages/${p}`);
    return [
      await measureCase(`GET /www/packages/<ns>/${name} (README, 3 versions)`, 1, [page], REQUESTS),
      await measureCase(`GET /www/packages/<ns>/${name} (README, 3 versions)`, 10, [page], REQUESTS * 5),
      await measureCase('GET /www/packages/<ns>/<name> (100 corpus packages in turn)', 10, corpusPages, REQUESTS * 5),
    ];
  },
};

/** `ns/name` of the seeded corpus packages (legacy ones as `legacy/name`), for the package-page case. */
let seededPages: string[] = [];

/** Publishes `<ns>/bench-page` 1.0.0–1.2.0 through the API: a README of ~8 KB, code, a manifest, dependencies. */
async function publishPagePackage(registry: BenchRegistry): Promise<string> {
  const name = 'bench-page';
  const readme = `# ${name}\n\n${Array.from({ length: 40 }, (_, i) => `## Section ${i}\n\nSome prose about option \`opt${i}\`, with a [link](https://example.com/${i}).\n\n\`\`\`js\nconst value${i} = await run({ option: ${i} });\n\`\`\`\n`).join('\n')}`;
  for (const version of ['1.0.0', '1.1.0', '1.2.0']) {
    const { payload, contentType } = await encodePublishBody({
      files: {
        'package.json': JSON.stringify({
          name,
          version,
          description: 'The package-page bench package',
          keywords: ['bench', 'page'],
          license: 'MIT',
        }),
        'README.md': readme,
        'index.js': `export const version = ${JSON.stringify(version)};\n`,
        'lib/util.js': 'export function util(x) {\n  return x * 2;\n}\n',
      },
      fields: { dependencies: Object.fromEntries(seededPages.slice(0, 8).map((p) => [p, '^1.0.0'])) },
    });
    const response = await fetch(`${registry.url}/packages/package/${registry.namespace}/${name}/versions/${version}`, {
      method: 'PUT',
      headers: { 'content-type': contentType, authorization: `Bearer ${registry.token}` },
      body: new Uint8Array(payload),
    });
    if (response.status !== 201) throw new Error(`publishing ${name}@${version} failed: ${response.status} ${await response.text()}`);
  }
  return name;
}

const ms = (value: number) => value.toFixed(1);

function renderReport(input: {
  results: CaseResult[];
  corpus: number;
  indexMs: number;
  queries: string[];
  pinned: boolean;
  load: number[];
}): string {
  const api1 = input.results.find((r) => r.id.startsWith('GET /-/v1/search') && r.connections === 1);
  const verdict = api1
    ? `search p50 ${ms(api1.p50)} ms (target ≤ 20: ${api1.p50 <= 20 ? 'PASS' : 'FAIL'}), p99 ${ms(api1.p99)} ms (target ≤ 100: ${api1.p99 <= 100 ? 'PASS' : 'FAIL'})`
    : 'search API not measured';
  const command = `npm run bench:website -- --packages ${input.corpus}${flags.only ? ` --only ${flags.only}` : ''} --requests ${REQUESTS}`;
  return `# Website bench (issue 16): search — ${new Date().toISOString().slice(0, 10)}

Command: \`${command}\` (commit ${gitHead()}).
Machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}; load average at start ${input.load.map((l) => l.toFixed(1)).join(' / ')}.
Registry: \`npm start\`'s bundle, NODE_ENV=production, PostgreSQL 15 (the machine's service) + Redis, ${input.pinned ? 'pinned to core 0, this load generator to core 1' : 'NOT pinned (taskset missing)'}.
Corpus: ${input.corpus} packages (${Math.round(input.corpus * 0.3)}≈30 % mirrored \`legacy\`, the rest in 50 local namespaces), names, descriptions and keywords
generated from a 300-word tech vocabulary, seeded with SQL (package, version, latest tag, npm tarball manifest) before the
registry started; the registry's start-up backfill indexed them all in ${(input.indexMs / 1000).toFixed(1)} s (no READMEs in this corpus).
Queries: ${input.queries.length} one-word queries in turn (a quarter each: exact names, name prefixes, vocabulary words, typos), ${WARMUP} warm-up requests first.

**${verdict}**

| case | connections | requests | p50 ms | p90 ms | p99 ms | max ms | req/s | answers with hits |
|---|---|---|---|---|---|---|---|---|
${input.results.map((r) => `| ${r.id} | ${r.connections} | ${r.requests} | ${ms(r.p50)} | ${ms(r.p90)} | ${ms(r.p99)} | ${ms(r.max)} | ${r.perSecond.toFixed(0)} | ${r.hits} |`).join('\n')}
`;
}

function gitHead(): string {
  const out = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: REPO_ROOT, encoding: 'utf8' });
  return out.status === 0 ? out.stdout.trim() : 'unknown';
}

async function main(): Promise<void> {
  const guard = createRunGuard(20 * 60_000, (message) => console.error(message));
  const pinned = canPin() && pinProcess(process.pid, LOAD_CPU);
  const load = loadavg();
  const corpus = generateCorpus(PACKAGES);
  const queries = generateQueries(corpus, 400);
  seededPages = corpus.map((p) => `${p.namespace ?? 'legacy'}/${encodeURIComponent(p.name)}`);
  let postgresUrl = '';
  const registry = await startRegistry({
    backend: 'postgres',
    postgresAdminUrl: flags['postgres-url'] as string,
    redisUrl: flags['redis-url'] as string,
    logLevel: 'warn',
    user: 'bench',
    beforeStart: async (env) => {
      postgresUrl = env.POSTGRES_URL as string;
      console.error(`seeding ${corpus.length} packages…`);
      await seedCorpus(postgresUrl, corpus);
    },
  });
  guard.track(registry);
  try {
    const indexMs = await waitIndexed(postgresUrl, corpus.length, 10 * 60_000);
    console.error(`indexed ${corpus.length} packages in ${(indexMs / 1000).toFixed(1)} s`);
    const only = flags.only ? new Set((flags.only as string).split(',')) : undefined;
    const results: CaseResult[] = [];
    for (const [id, run] of Object.entries(cases)) {
      if (only && !only.has(id)) continue;
      console.error(`measuring ${id}…`);
      results.push(...(await run(registry, queries)));
    }
    const report = renderReport({ results, corpus: corpus.length, indexMs, queries, pinned, load });
    console.log(report);
    if (!flags['no-write']) {
      const file = join(REPO_ROOT, `bench/results/website-${new Date().toISOString().slice(0, 10)}.md`);
      await writeFile(file, report);
      console.error(`wrote ${file}`);
    }
  } finally {
    await guard.runCleanups();
    guard.disarm();
  }
}

await main();
