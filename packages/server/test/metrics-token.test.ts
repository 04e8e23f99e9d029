import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { after, before, describe, it } from 'node:test';
import { ConfigError, loadConfig } from '@entropic/server/config';
import { bearer, createTestApp, type TestApp } from '@entropic/testkit';
import { type Family, parsePrometheusText } from './support/prometheus-text.ts';

// The token and configuration cases of /metrics: their own file, as each test app takes a while to start on a loaded machine.
type Families = Map<string, Family>;

async function scrape(t: TestApp, headers: Record<string, string> = {}): Promise<Families> {
  const response = await t.app.inject({ url: '/metrics', headers });
  assert.equal(response.statusCode, 200, response.body);
  assert.match(String(response.headers['content-type']), /^text\/plain; version=0\.0\.4/);
  return parsePrometheusText(response.body);
}

function family(families: Families, name: string) {
  const found = families.get(name);
  assert.ok(found, `${name} is exposed`);
  return found;
}

const HTTP = 'entropic_http_request_duration_seconds';

describe('GET /metrics with METRICS_TOKEN', () => {
  const metricsToken = 'scrape-secret-0123456789';
  let t: TestApp;
  before(async () => {
    t = await createTestApp({ env: { METRICS_TOKEN: metricsToken } });
  });
  after(() => t.close());

  it('answers 401 UNAUTHENTICATED without a token and 401 INVALID_TOKEN with a wrong one (an API token too)', async () => {
    const missing = await t.app.inject({ url: '/metrics' });
    assert.equal(missing.statusCode, 401);
    assert.equal(missing.json().code, 'UNAUTHENTICATED');
    assert.equal(missing.headers['www-authenticate'], 'Bearer');
    const apiToken = (await t.createUser('bob')).token;
    for (const header of [`Bearer ${metricsToken}x`, `Bearer ${apiToken}`, 'Basic abc', 'Bearer']) {
      const wrong = await t.app.inject({ url: '/metrics', headers: { authorization: header } });
      assert.equal(wrong.statusCode, 401, header);
      assert.equal(wrong.json().code, 'INVALID_TOKEN', header);
      assert.doesNotMatch(wrong.body, /entropic_/);
    }
  });

  it('serves the metrics with the right token', async () => {
    const families = await scrape(t, bearer(metricsToken));
    family(families, HTTP);
  });
});

describe('metrics configuration', () => {
  it('refuses a METRICS_TOKEN under 16 characters or with spaces, naming the variable', () => {
    for (const token of ['short', 'sixteen chars but spaced']) {
      assert.throws(
        () => loadConfig({ METRICS_TOKEN: token }, { cwd: tmpdir() }),
        (error) => error instanceof ConfigError && error.variable === 'METRICS_TOKEN',
      );
    }
    assert.deepEqual(loadConfig({}, { cwd: tmpdir() }).metrics, { enabled: true, token: undefined });
    assert.equal(loadConfig({ METRICS: 'off' }, { cwd: tmpdir() }).metrics.enabled, false);
  });
});
