import { connect, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { LoadResult } from './load.ts';
import { cpuMeter, percentile } from './load.ts';

export interface BulkOptions {
  url: string;
  connections: number;
  durationSeconds: number;
  warmupSeconds: number;
  expectStatus: number;
  headers?: Record<string, string>;
  timeoutSeconds?: number;
  cpuPid?: number;
}

const HEADER_END = Buffer.from('\r\n\r\n');

/**
 * A load generator for large bodies. autocannon tops out near 25 MB/s on a 5 MB body (its
 * JavaScript response handling), far below what the servers deliver; this one keeps `connections`
 * keep-alive sockets busy with sequential GETs and only counts the body bytes (Content-Length
 * responses only), so the figure is the server's. Bounded by duration and per-request timeout.
 */
export async function measureBulk(options: BulkOptions): Promise<LoadResult> {
  if (options.warmupSeconds > 0) await runBulk({ ...options, durationSeconds: options.warmupSeconds });
  return runBulk(options);
}

async function runBulk(options: BulkOptions): Promise<LoadResult> {
  const target = new URL(options.url);
  const request = Buffer.from(
    `GET ${target.pathname}${target.search} HTTP/1.1\r\nHost: ${target.host}\r\n` +
      Object.entries(options.headers ?? {})
        .map(([k, v]) => `${k}: ${v}\r\n`)
        .join('') +
      '\r\n',
  );
  const meter = cpuMeter(options.cpuPid);
  const start = performance.now();
  const end = start + options.durationSeconds * 1000;
  const timeoutMs = (options.timeoutSeconds ?? 30) * 1000;
  const latencies: number[] = [];
  const statusCodes: Record<string, number> = {};
  let bytes = 0;
  let errors = 0;

  const connection = () =>
    new Promise<void>((resolve) => {
      let socket: Socket;
      let head: Buffer = Buffer.alloc(0);
      let remaining = -1; // body bytes still expected; -1 while reading headers
      let sentAt = 0;
      let timer: NodeJS.Timeout | undefined;
      const finish = () => {
        clearTimeout(timer);
        socket.destroy();
        resolve();
      };
      const fail = () => {
        errors++;
        finish();
      };
      const next = () => {
        if (performance.now() >= end) return finish();
        sentAt = performance.now();
        head = Buffer.alloc(0);
        remaining = -1;
        clearTimeout(timer);
        timer = setTimeout(fail, Math.max(1, Math.min(timeoutMs, end - sentAt + timeoutMs)));
        socket.write(request);
      };
      const bodyBytes = (n: number) => {
        remaining -= n;
        // bytes count while the run lasts, even for a response that the deadline cuts off
        if (performance.now() <= end) bytes += n;
      };
      socket = connect({ host: target.hostname, port: Number(target.port || 80), noDelay: true }, next);
      socket.on('error', fail);
      socket.on('close', () => {
        clearTimeout(timer);
        resolve();
      });
      socket.on('data', (chunk: Buffer) => {
        let data: Buffer = chunk;
        if (remaining < 0) {
          head = head.length ? Buffer.concat([head, data]) : data;
          const at = head.indexOf(HEADER_END);
          if (at < 0) {
            if (head.length > 64 * 1024) fail();
            return;
          }
          const text = head.subarray(0, at).toString('latin1');
          const status = /^HTTP\/1\.[01] (\d{3})/.exec(text)?.[1];
          const length = /\r\ncontent-length: *(\d+)/i.exec(text)?.[1];
          if (!status || length === undefined) return fail();
          statusCodes[status] = (statusCodes[status] ?? 0) + 1;
          if (Number(status) !== options.expectStatus) errors++;
          remaining = Number(length);
          data = head.subarray(at + HEADER_END.length);
        }
        if (data.length > remaining) return fail(); // no pipelining: extra bytes are a protocol error
        bodyBytes(data.length);
        if (remaining === 0) {
          latencies.push(performance.now() - sentAt);
          next();
        }
      });
    });
  await Promise.all(Array.from({ length: options.connections }, connection));
  const seconds = Math.max(0.001, (Math.min(performance.now(), end + timeoutMs) - start) / 1000);
  const measured = Math.min(seconds, options.durationSeconds);
  return {
    ...meter.stop(latencies.length, seconds),
    connections: options.connections,
    requestsPerSecond: latencies.length / measured,
    bytesPerSecond: bytes / measured,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    requests: latencies.length,
    errors,
    statusCodes,
  };
}
