// Issue 12.6: the deploy kit, checked as far as this machine allows (no Docker engine runs here):
// docker-compose.yml parses and names the services of the topology, every registry instance's
// environment passes the one config module as production, HAProxy's configuration is the one the
// tests run (same generator) and HAProxy itself accepts it, and the Dockerfile runs the bundle
// `npm run build` makes.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { loadConfig } from '@entropic/server/config';
import { haproxyConfig, haproxyUnavailablePage, REPO_ROOT } from '@entropic/testkit';
import { parse } from 'yaml';

interface ComposeService {
  image?: string;
  build?: string;
  environment?: Record<string, string>;
  depends_on?: Record<string, unknown> | string[];
  volumes?: string[];
  ports?: string[];
  stop_grace_period?: string;
}

const read = (path: string) => readFile(join(REPO_ROOT, path), 'utf8');
const CONTAINER_ERROR_PAGE = '/usr/local/etc/haproxy/unavailable.http';

/** Compose's `${NAME:?message}` and `${NAME:-default}` with the values an operator would give. */
function interpolate(value: string, given: Record<string, string>): string {
  return value.replace(/\$\{(\w+)(?::([?-])([^}]*))?\}/g, (_, name: string, kind?: string, rest?: string) => {
    if (given[name] !== undefined) return given[name];
    if (kind === '-') return rest ?? '';
    throw new Error(`compose needs ${name}: ${rest}`);
  });
}

describe('deploy kit', () => {
  it('docker-compose.yml: PostgreSQL, Redis, an S3 store, two registry instances and the load balancer', async () => {
    const compose = parse(await read('docker-compose.yml')) as { services: Record<string, ComposeService> };
    const services = compose.services;
    assert.deepEqual(Object.keys(services).sort(), ['lb', 'postgres', 'redis', 'registry-1', 'registry-2', 's3', 's3-bucket']);
    for (const name of ['registry-1', 'registry-2']) {
      const registry = services[name] as ComposeService;
      assert.equal(registry.build, '.', `${name} is built from the Dockerfile`);
      const env = registry.environment as Record<string, string>;
      const given = { SESSION_SECRET: 'a'.repeat(40), OAUTH_PASSWORD: 'b'.repeat(40) };
      assert.throws(() => interpolate(env.SESSION_SECRET as string, {}), /SESSION_SECRET/, 'compose refuses to start without real secrets');
      const resolved = Object.fromEntries(Object.entries(env).map(([key, value]) => [key, interpolate(String(value), given)]));
      const config = loadConfig(resolved, { cwd: tmpdir() });
      assert.equal(config.nodeEnv, 'production');
      assert.equal(config.listenAddress, '0.0.0.0');
      assert.equal(config.port, 3000);
      assert.equal(new URL(config.postgresUrl as string).hostname, 'postgres');
      assert.equal(new URL(config.redisUrl as string).hostname, 'redis');
      assert.equal(resolved.BLOB_STORE, 's3');
      assert.equal(new URL(resolved.S3_ENDPOINT as string).hostname, 's3');
      assert.equal(config.externalUrl, 'http://localhost:8080', 'URLs name the load balancer');
      assert.ok(config.shutdownDrainMs >= 2 * 2 * 1000, 'the drain outlasts two failed checks one second apart');
      const grace = Number.parseInt(registry.stop_grace_period as string, 10) * 1000;
      assert.ok(grace > config.shutdownDrainMs + config.shutdownTimeoutMs, `stop_grace_period ${grace} ms covers drain + timeout`);
    }
    assert.ok(services.lb?.image?.startsWith('haproxy:'));
    assert.deepEqual(services.lb?.volumes, [
      './deploy/haproxy.cfg:/usr/local/etc/haproxy/haproxy.cfg:ro',
      `./deploy/unavailable.http:${CONTAINER_ERROR_PAGE}:ro`,
    ]);
    assert.deepEqual(services.lb?.ports, ['8080:8080']);
  });

  it("deploy/haproxy.cfg is the tests' configuration for the compose names, and HAProxy accepts it", async () => {
    const config = await read('deploy/haproxy.cfg');
    const expected = haproxyConfig({
      bind: '*:8080',
      statsBind: '*:8404',
      servers: ['registry-1:3000', 'registry-2:3000'],
      checkIntervalMs: 1000,
      errorPage: CONTAINER_ERROR_PAGE,
      resolveLater: true,
    });
    assert.equal(config, expected, 'regenerate deploy/haproxy.cfg with haproxyConfig (see docs/deployment.md)');
    assert.equal(await read('deploy/unavailable.http'), haproxyUnavailablePage());
    const dir = await mkdtemp(join(tmpdir(), 'entropic-haproxy-check-'));
    try {
      await writeFile(join(dir, 'unavailable.http'), haproxyUnavailablePage());
      await writeFile(join(dir, 'haproxy.cfg'), config.replaceAll(CONTAINER_ERROR_PAGE, join(dir, 'unavailable.http')));
      const { stdout } = await promisify(execFile)('haproxy', ['-c', '-f', join(dir, 'haproxy.cfg')]);
      assert.match(stdout, /Configuration file is valid/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('the Dockerfile runs the bundle npm run build makes and checks readiness', async () => {
    const dockerfile = await read('Dockerfile');
    assert.match(dockerfile, /RUN npm ci [^\n]*\\\n && node scripts\/build-server\.mjs/);
    assert.match(dockerfile, /CMD \["node", [^\n]*"packages\/server\/dist\/main\.mjs"\]/);
    assert.match(await read('scripts/build-server.mjs'), /main: join\(root, 'packages\/server\/src\/main\.ts'\)/);
    assert.match(dockerfile, /HEALTHCHECK [^\n]*\n[^\n]*\/-\/ready/);
    assert.match(dockerfile, /^USER node$/m);
  });
});
