import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './create-test-app.ts';
import { waitForStart } from './wait-for-start.ts';

export interface LoadBalancerOptions {
  /** where haproxy.cfg and the error page are written */
  dir: string;
  /** loopback ports of the registry instances, in order (servers i1, i2, …) */
  backends: number[];
  port?: number;
  /** milliseconds between readiness checks of each instance */
  checkIntervalMs?: number;
  /** pins HAProxy to these CPUs (taskset -c) */
  cpus?: string;
  /** one line per request on HAProxy's stderr (output()), with its termination state */
  log?: boolean;
}

export interface LoadBalancer {
  url: string;
  port: number;
  child: ChildProcess;
  /** the configuration HAProxy runs, for failure messages and docs */
  config: string;
  /** each server as HAProxy's stats report it: state (`UP`, `DOWN`, `UP 1/2` going up, …) and requests sent to it so far */
  servers(): Promise<Record<string, { status: string; requests: number }>>;
  stop(): Promise<void>;
  output(): string;
}

const HAPROXY = 'haproxy';

/**
 * What a client gets when no instance could answer (all down or draining, or the instance died
 * with the request): 503 with Retry-After, in the registry's own error shape. HAProxy's own 502
 * and 504 are answered with it too: the request may be retried.
 */
function unavailablePage(): string {
  const body = `${JSON.stringify({ message: 'No registry instance could answer; try again shortly.', code: 'SERVICE_UNAVAILABLE' })}\n`;
  return [
    'HTTP/1.1 503 Service Unavailable',
    'content-type: application/json; charset=utf-8',
    'retry-after: 1',
    'cache-control: no-store',
    'connection: close',
    `content-length: ${Buffer.byteLength(body)}`,
    '',
    body,
  ].join('\r\n');
}

/**
 * HAProxy in front of the instances: round robin, a readiness check (`GET /-/ready`, 200 = in
 * rotation) every checkIntervalMs, two failed checks take an instance out and two passing ones
 * put it back. A GET or HEAD that found its connection refused, its instance gone before it
 * answered, or a 503 is retried on another instance; any other method only when the connection
 * was never made (a publish is never sent twice).
 */
export function haproxyConfig(options: {
  /** where clients connect: `127.0.0.1:8080`, `*:8080` */
  bind: string;
  statsBind: string;
  /** the instances, `host:port` */
  servers: string[];
  checkIntervalMs: number;
  errorPage: string;
  log?: boolean;
  /** servers named by DNS (compose): start even when a name does not resolve yet */
  resolveLater?: boolean;
}): string {
  const servers = options.servers.map((address, i) => `  server i${i + 1} ${address} check`);
  const log = options.log ? '\n  log stderr format raw local0 info\n  option httplog' : '';
  const every = options.checkIntervalMs;
  const initAddr = options.resolveLater ? ' init-addr last,libc,none resolvers dns' : '';
  const resolvers = options.resolveLater ? '\nresolvers dns\n  parse-resolv-conf\n  hold valid 10s\n' : '';
  return `global
  maxconn 4000
  nbthread 1
${resolvers}
defaults
  mode http${log}
  timeout connect 2s
  timeout client 120s
  timeout server 120s
  timeout http-request 30s
  timeout queue 10s
  # a readiness answer may take a while on a loaded machine (unset, it would be bounded by inter)
  timeout check 5s
  retries 3
  # One request per client connection: every answer carries Connection: close (frontend). When an
  # instance dies with a request in flight and nothing answered, HAProxy answers 502 (the error
  # page below: 503 with Retry-After) only if the request was the first on the client's
  # connection; on a kept-alive one it closes the client's connection without a word and logs
  # nothing (http_ana.c, abort_keep_alive: "the client is required to retry"). Node's fetch and
  # npm do not retry a PUT, so a publish got no answer at all. The cost: a TCP connection per
  # request from clients. Connections to the instances are kept alive and reused (backend).
  option redispatch 1
  retry-on conn-failure empty-response 503
  errorfile 502 ${options.errorPage}
  errorfile 503 ${options.errorPage}
  errorfile 504 ${options.errorPage}

frontend registry
  bind ${options.bind}
  http-after-response set-header connection close
  default_backend instances

frontend stats
  bind ${options.statsBind}
  stats enable
  stats uri /stats
  stats refresh 0

backend instances
  balance roundrobin
  # any request may use an idle connection to an instance (each client's request is the first on
  # its connection, so \`safe\` would never reuse one); instances keep idle connections 72 s
  http-reuse always
  option httpchk GET /-/ready
  http-check expect status 200
  http-request disable-l7-retry unless METH_GET || METH_HEAD
  default-server inter ${every} fastinter ${every} downinter ${every} fall 2 rise 2${initAddr}
${servers.join('\n')}
`;
}

/** The error page HAProxy answers with when no instance could (the file errorfile names). */
export { unavailablePage as haproxyUnavailablePage };

/** Starts HAProxy (Debian's `haproxy`, in the foreground) and waits until it answers. */
export async function startLoadBalancer(options: LoadBalancerOptions): Promise<LoadBalancer> {
  const port = options.port ?? (await freePort());
  const statsPort = await freePort();
  const errorPage = join(options.dir, 'unavailable.http');
  const configFile = join(options.dir, 'haproxy.cfg');
  const config = haproxyConfig({
    bind: `127.0.0.1:${port}`,
    statsBind: `127.0.0.1:${statsPort}`,
    servers: options.backends.map((backend) => `127.0.0.1:${backend}`),
    checkIntervalMs: options.checkIntervalMs ?? 500,
    errorPage,
    log: options.log,
  });
  await writeFile(errorPage, unavailablePage());
  await writeFile(configFile, config);
  try {
    await promisify(execFile)(HAPROXY, ['-c', '-q', '-f', configFile]);
  } catch (error) {
    const { code, stderr } = error as { code?: string; stderr?: string };
    if (code === 'ENOENT') throw new Error('haproxy is not installed (apt-get install -y haproxy; .ci/run installs it)');
    throw new Error(`haproxy rejected its configuration: ${stderr}\n${config}`);
  }
  const [command, args] = options.cpus
    ? ['taskset', ['-c', options.cpus, HAPROXY, '-db', '-f', configFile]]
    : [HAPROXY, ['-db', '-f', configFile]];
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d) => {
    output += d;
  });
  child.stderr.on('data', (d) => {
    output += d;
  });
  const statsUrl = `http://127.0.0.1:${statsPort}/stats;csv`;
  await waitForStart({ what: `HAProxy to answer ${statsUrl}`, child, output: () => output, probe: async () => (await fetch(statsUrl)).ok });
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    child,
    config,
    async servers() {
      const csv = await (await fetch(statsUrl)).text();
      const [header, ...rows] = csv.replace(/^# /, '').trim().split('\n');
      const columns = (header ?? '').split(',');
      const status = columns.indexOf('status');
      const total = columns.indexOf('stot');
      const servers: Record<string, { status: string; requests: number }> = {};
      for (const row of rows) {
        const cells = row.split(',');
        if (cells[0] === 'instances' && cells[1] !== 'BACKEND') {
          servers[cells[1] as string] = { status: cells[status] as string, requests: Number(cells[total]) };
        }
      }
      return servers;
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
    output: () => output,
  };
}
