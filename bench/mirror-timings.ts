// `node --import tsx bench/mirror-timings.ts <dir>`: summarises the per-request timings that
// `npm run bench:mirror -- --timings <dir>` kept. For each install, npm's own time per fetch
// (its `--loglevel=http` lines: from sending the request to having the whole body), packuments
// and tarballs apart; for Entropic, its access log's time per request (from the request's
// arrival to the last byte handed to the socket) over the same installs.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { percentile } from './lib/load.ts';

const dir = process.argv[2];
if (!dir) {
  console.error('Usage: node --import tsx bench/mirror-timings.ts <dir written by bench:mirror --timings>');
  process.exit(2);
}

interface Fetch {
  url: string;
  ms: number;
}

/** npm's `npm http fetch GET 200 <url> 12ms (cache miss)` lines. */
function npmFetches(text: string): Fetch[] {
  const out: Fetch[] = [];
  for (const m of text.matchAll(/^npm http fetch GET \d+ (\S+) (\d+)ms/gm)) out.push({ url: m[1] as string, ms: Number(m[2]) });
  return out;
}

const isTarball = (url: string) => /\/-\/[^/]+\.tgz$/.test(url);

function stats(xs: number[]): string {
  if (xs.length === 0) return '| 0 | – | – | – | – |';
  const sum = xs.reduce((a, b) => a + b, 0);
  return `| ${xs.length} | ${percentile(xs, 50).toFixed(0)} | ${percentile(xs, 90).toFixed(0)} | ${Math.max(...xs).toFixed(0)} | ${sum.toFixed(0)} |`;
}

const files = readdirSync(dir).sort();
const lines: string[] = [];
lines.push('| install | server | kind | fetches | p50 ms | p90 ms | max ms | sum ms |', '|---|---|---|---|---|---|---|---|');
for (const file of files.filter((f) => f.endsWith('.npm.log'))) {
  const [set, server] = file.split('.');
  const fetches = npmFetches(readFileSync(join(dir, file), 'utf8'));
  const packuments = fetches.filter((f) => !isTarball(f.url)).map((f) => f.ms);
  const tarballs = fetches.filter((f) => isTarball(f.url)).map((f) => f.ms);
  lines.push(`| ${set} | ${server} | packument ${stats(packuments)}`);
  lines.push(`| ${set} | ${server} | tarball ${stats(tarballs)}`);
}
console.log("npm's time per fetch\n");
console.log(lines.join('\n'));

const serverLog = join(dir, 'entropic.server.log');
if (files.includes('entropic.server.log')) {
  const packuments: number[] = [];
  const tarballs: number[] = [];
  for (const line of readFileSync(serverLog, 'utf8').split('\n')) {
    if (!line.startsWith('{')) continue;
    const entry = JSON.parse(line) as { msg?: string; url?: string; ms?: number; method?: string };
    if (entry.msg !== 'request' || entry.method !== 'GET' || typeof entry.ms !== 'number' || !entry.url) continue;
    if (entry.url === '/metrics' || entry.url.startsWith('/-/')) continue;
    (isTarball(entry.url) ? tarballs : packuments).push(entry.ms);
  }
  console.log("\nEntropic's access log (every install of the run, warm-up included)\n");
  console.log('| kind | requests | p50 ms | p90 ms | max ms | sum ms |\n|---|---|---|---|---|---|');
  console.log(`| packument ${stats(packuments)}`);
  console.log(`| tarball ${stats(tarballs)}`);
}
