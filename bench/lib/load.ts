import { Agent, request } from 'node:http';
import { performance } from 'node:perf_hooks';
import autocannon from 'autocannon';
import { processCpuNs } from './rss.ts';

export interface LoadResult {
  connections: number;
  requestsPerSecond: number;
  bytesPerSecond: number;
  p50: number;
  p99: number;
  requests: number;
  /** connection errors, timeouts and answers with another status than expected */
  errors: number;
  statusCodes: Record<string, number>;
  /** server CPU time per answered request (all its threads), µs; NaN when not measured */
  cpuUsPerRequest: number;
  /** server CPU time / wall time during the run (1 = one core fully busy) */
  cpuShare: number;
}

/** Measures a server process's CPU use across a run. */
export function cpuMeter(pid: number | undefined): {
  stop(requests: number, seconds: number): { cpuUsPerRequest: number; cpuShare: number };
} {
  const before = pid === undefined ? Number.NaN : processCpuNs(pid);
  return {
    stop(requests, seconds) {
      const used = pid === undefined ? Number.NaN : processCpuNs(pid) - before;
      return { cpuUsPerRequest: requests > 0 ? used / 1000 / requests : Number.NaN, cpuShare: used / 1e9 / seconds };
    },
  };
}

export interface LoadOptions {
  url: string;
  connections: number;
  durationSeconds: number;
  warmupSeconds: number;
  headers?: Record<string, string>;
  expectStatus: number;
  timeoutSeconds?: number;
  /** the server's pid, to measure its CPU time per request */
  cpuPid?: number;
}

async function fire(url: string, connections: number, duration: number, headers: Record<string, string>, timeout: number) {
  return autocannon({ url, connections, duration, headers, timeout, pipelining: 1 });
}

/** One bounded autocannon run (after a discarded warm-up run on the same connections). */
export async function measure(options: LoadOptions): Promise<LoadResult> {
  const headers = options.headers ?? {};
  const timeout = options.timeoutSeconds ?? 10;
  if (options.warmupSeconds > 0) await fire(options.url, options.connections, options.warmupSeconds, headers, timeout);
  const meter = cpuMeter(options.cpuPid);
  const result = await fire(options.url, options.connections, options.durationSeconds, headers, timeout);
  const statusCodes: Record<string, number> = {};
  for (const [code, stat] of Object.entries(result.statusCodeStats ?? {})) statusCodes[code] = stat.count ?? 0;
  const unexpected = Object.entries(statusCodes)
    .filter(([code]) => Number(code) !== options.expectStatus)
    .reduce((sum, [, count]) => sum + count, 0);
  const seconds = result.duration > 0 ? result.duration : options.durationSeconds;
  return {
    ...meter.stop(result.requests.total, seconds),
    connections: options.connections,
    requestsPerSecond: result.requests.total / seconds,
    bytesPerSecond: result.throughput.total / seconds,
    p50: result.latency.p50,
    p99: result.latency.p99,
    requests: result.requests.total,
    errors: result.errors + result.timeouts + unexpected,
    statusCodes,
  };
}

export interface HttpAnswer {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
  ms: number;
}

/** One request on a keep-alive agent, timed from the first byte sent to the last byte received. */
export function send(
  agent: Agent,
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: Buffer; timeoutMs?: number } = {},
): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const req = request(url, { agent, method: options.method ?? 'GET', headers: options.headers, timeout: options.timeoutMs ?? 120_000 });
    req.on('timeout', () => req.destroy(new Error(`${options.method ?? 'GET'} ${url} timed out`)));
    req.on('error', reject);
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(res.headers)) if (typeof v === 'string') headers[k] = v;
        resolve({ status: res.statusCode ?? 0, headers, body: Buffer.concat(chunks), ms: performance.now() - start });
      });
    });
    req.end(options.body);
  });
}

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index] as number;
}

export function keepAliveAgent(): Agent {
  return new Agent({ keepAlive: true, maxSockets: 1 });
}
