// `npm run bench:private` (node --import tsx bench/private-reads.ts): issue 9's read cost of
// access control, in process (createTestApp on the embedded default, app.inject, no sockets), so
// what is compared is the server's own CPU per request. Cases, alternated request by request so
// a drifting machine load and garbage collection hit all alike:
//   object  public/anon   GET /objects/… of a file only a public package has, no token
//   object  private/member the same of a private package's file, with a member's token
//   doc     public/anon   GET /packages/package/… (cached document) of a public package
//   doc     private/member the same of a private package, with a member's token
//   npm     public/anon / private/member: the abbreviated packument
//   … public/member: the public case read with the member's token (what the token itself costs)
// Targets (issue 9): private reads by a member within 1.15× of public ones.
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { bearer, createTestApp, publishVersion } from '@entropic/testkit';

const { values: flags } = parseArgs({
  options: { requests: { type: 'string', default: '2000' }, rounds: { type: 'string', default: '5' } },
});
const REQUESTS = Number(flags.requests);
const ROUNDS = Number(flags.rounds);
const log = (message: string) => process.stderr.write(`[bench:private] ${message}\n`);

async function main(): Promise<void> {
  const loadBefore = loadavg().map((l) => l.toFixed(1));
  // the per-token rate limit (3000 a minute) would answer 429 to the member's reads here
  const t = await createTestApp({ env: { LOG_LEVEL: 'warn', TOKEN_RATE_LIMIT_PER_MINUTE: '0' } });
  try {
    const alice = await t.createUser('alice');
    const content = (tag: string) => `module.exports = ${JSON.stringify(tag.repeat(200))};\n`;
    await publishVersion(t.app, 'alice/open', '1.0.0', { token: alice.token, files: { 'index.js': content('open') } });
    await publishVersion(t.app, 'alice/secret', '1.0.0', { token: alice.token, files: { 'index.js': content('secret') } });
    const made = await t.app.inject({
      method: 'PUT',
      url: '/packages/package/alice/secret/access',
      headers: bearer(alice.token),
      payload: { private: true },
    });
    if (made.statusCode !== 200) throw new Error(`access: ${made.statusCode} ${made.body}`);
    await t.runJobs();
    const fileUrl = async (pkg: string) => {
      const doc = (await t.app.inject({ url: `/packages/package/alice/${pkg}/versions/1.0.0`, headers: bearer(alice.token) })).json() as {
        files: Record<string, string>;
      };
      const integrity = doc.files['./package/index.js'] as string;
      return `/objects/object/sha512/${integrity.slice('sha512-'.length)}`;
    };
    const abbreviated = { accept: 'application/vnd.npm.install-v1+json' };
    const openFile = await fileUrl('open');
    const cases: Record<string, { url: string; headers: Record<string, string> }> = {
      'object public/anon': { url: openFile, headers: {} },
      'object public/member': { url: openFile, headers: bearer(alice.token) },
      'object private/member': { url: await fileUrl('secret'), headers: bearer(alice.token) },
      'doc public/anon': { url: '/packages/package/alice/open', headers: {} },
      'doc public/member': { url: '/packages/package/alice/open', headers: bearer(alice.token) },
      'doc private/member': { url: '/packages/package/alice/secret', headers: bearer(alice.token) },
      'npm public/anon': { url: '/@alice/open', headers: abbreviated },
      'npm public/member': { url: '/@alice/open', headers: { ...abbreviated, ...bearer(alice.token) } },
      'npm private/member': { url: '/@alice/secret', headers: { ...abbreviated, ...bearer(alice.token) } },
    };
    const cpu: Record<string, number[]> = Object.fromEntries(Object.keys(cases).map((name) => [name, []]));
    for (const { url, headers } of Object.values(cases)) {
      const warm = await t.app.inject({ url, headers });
      if (warm.statusCode !== 200) throw new Error(`${url}: ${warm.statusCode} ${warm.body.slice(0, 200)}`);
    }
    // Requests of the cases alternate one by one (not case after case), in a new random order each
    // cycle, so garbage collection, JIT, work a request leaves behind and a drifting machine load
    // fall on every case alike; a first round warms up, uncounted.
    const entries = Object.entries(cases);
    for (let round = -1; round < ROUNDS; round++) {
      const used = new Map(entries.map(([name]) => [name, 0]));
      for (let i = 0; i < REQUESTS; i++) {
        // a new order each cycle: a request's cost does not depend on which case came before it
        for (const [name, { url, headers }] of shuffled(entries)) {
          const start = process.cpuUsage();
          const res = await t.app.inject({ url, headers });
          const spent = process.cpuUsage(start);
          used.set(name, (used.get(name) as number) + spent.user + spent.system);
          if (res.statusCode !== 200) throw new Error(`${name}: ${url} answered ${res.statusCode}`);
        }
      }
      if (round < 0) continue;
      for (const [name, total] of used) cpu[name]?.push(total / REQUESTS);
      log(`round ${round + 1}/${ROUNDS} done`);
    }
    const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;
    const rows = Object.entries(cpu).map(([name, values]) => ({ name, usPerRequest: median(values) }));
    const byName = Object.fromEntries(rows.map((r) => [r.name, r.usPerRequest]));
    const ratio = (kind: string, base = 'public/anon') =>
      (byName[`${kind} private/member`] as number) / (byName[`${kind} ${base}`] as number);
    console.log(`# bench:private (${new Date().toISOString()}), ${REQUESTS} requests × ${ROUNDS} rounds, median CPU µs per request`);
    console.log(
      `load average before: ${loadBefore.join(' ')}, after: ${loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')}`,
    );
    console.log('| case | CPU µs/request |');
    console.log('|---|---|');
    for (const row of rows) console.log(`| ${row.name} | ${row.usPerRequest.toFixed(0)} |`);
    for (const kind of ['object', 'doc', 'npm'])
      console.log(
        `${kind}: private/member ÷ public/anon = ${ratio(kind).toFixed(2)} (target ≤ 1.15); ÷ public/member (same token) = ${ratio(kind, 'public/member').toFixed(2)}`,
      );
  } finally {
    await t.close();
  }
}

function shuffled<T>(items: readonly T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

await main();
