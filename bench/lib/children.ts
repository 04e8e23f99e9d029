import { type ChildProcess, spawn } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pinnedCommand, SERVER_CPU } from './cpu.ts';
import { freePort, waitForHttp } from './net.ts';

const TSX = import.meta.resolve('tsx');

export interface RecordedResponse {
  path: string;
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

export interface ReferenceServer {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

function stopper(child: ChildProcess): () => Promise<void> {
  return async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  };
}

const HOP_HEADERS = new Set(['date', 'connection', 'keep-alive', 'transfer-encoding', 'x-request-id', 'content-length']);

/** Starts the minimal Node server answering `responses` (the registry's own, recorded) from memory. */
export async function startCeiling(dir: string, responses: readonly RecordedResponse[]): Promise<ReferenceServer> {
  await mkdir(dir, { recursive: true });
  const port = await freePort();
  const routes = [];
  for (const [i, response] of responses.entries()) {
    const file = join(dir, `response-${i}.bin`);
    await writeFile(file, response.body);
    const headers = Object.fromEntries(Object.entries(response.headers).filter(([k]) => !HOP_HEADERS.has(k)));
    routes.push({ path: response.path, status: response.status, headers, file });
  }
  const manifest = join(dir, 'ceiling.json');
  await writeFile(manifest, JSON.stringify({ port, routes }));
  const script = new URL('./ceiling-server.ts', import.meta.url).pathname;
  const { command, args } = pinnedCommand(SERVER_CPU, process.execPath, ['--import', TSX, script, manifest]);
  const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'inherit'] });
  const url = `http://127.0.0.1:${port}`;
  await waitForHttp(`${url}${responses[0]?.path ?? '/'}`, 30_000, () =>
    child.exitCode !== null ? `ceiling server exited ${child.exitCode}` : undefined,
  ).catch(async (error) => {
    child.kill('SIGKILL');
    throw error;
  });
  return { url, pid: child.pid as number, stop: stopper(child) };
}

/** Starts Debian's nginx (one worker process, no master, sendfile) serving `files` under `/`. */
export async function startNginx(dir: string, files: Record<string, Buffer>): Promise<ReferenceServer> {
  const root = join(dir, 'www');
  await mkdir(root, { recursive: true });
  for (const [name, content] of Object.entries(files)) await writeFile(join(root, name), content);
  return startStaticNginx(dir, {
    port: await freePort(),
    root,
    types: 'default_type application/octet-stream;',
    locations: 'location / { add_header Cache-Control "public, max-age=31536000, immutable"; }',
    probe: `/${Object.keys(files)[0] ?? ''}`,
  });
}

export interface StaticNginxOptions {
  port: number;
  /** the directory served */
  root: string;
  /** the http block's types / default_type lines */
  types: string;
  /** location blocks of the server (none: plain files) */
  locations?: string;
  /** a path that answers once nginx is up */
  probe: string;
}

/**
 * Debian's nginx as a static file server for benches: one worker, no master, sendfile, no gzip,
 * keep-alive, pinned to the server core; resolves once `probe` answers.
 */
export async function startStaticNginx(dir: string, options: StaticNginxOptions): Promise<ReferenceServer> {
  for (const temp of ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) await mkdir(join(dir, temp), { recursive: true });
  const config = `daemon off;
master_process off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 1000000;
  keepalive_timeout 65;
  ${options.types}
  client_body_temp_path ${dir}/client_body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  server {
    listen 127.0.0.1:${options.port};
    root ${options.root};
    ${options.locations ?? ''}
  }
}
`;
  const configFile = join(dir, 'nginx.conf');
  await writeFile(configFile, config);
  const { command, args } = pinnedCommand(SERVER_CPU, 'nginx', ['-p', dir, '-c', configFile, '-e', join(dir, 'error.log')]);
  const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'inherit'] });
  const url = `http://127.0.0.1:${options.port}`;
  await waitForHttp(`${url}${options.probe}`, 15_000, () => (child.exitCode !== null ? `nginx exited ${child.exitCode}` : undefined)).catch(
    (error) => {
      child.kill('SIGKILL');
      throw error;
    },
  );
  return { url, pid: child.pid as number, stop: stopper(child) };
}
