// Issue 15.3/15.6: FEDERATION_HOSTS names the peers (host string → base URL, optional pinned key
// ids); anything else in it stops the start with a message naming the variable and the entry.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig, parseFederationHosts } from '@entropic/server/config';
import type { Host } from '@entropic/types';

const LOCAL = 'a.example.org' as Host;
const KEY = `SHA256:${'A'.repeat(43)}`;
const KEY2 = `SHA256:${'b+/'.repeat(14)}c`;

function refused(raw: string): ConfigError {
  try {
    parseFederationHosts(raw, LOCAL);
  } catch (error) {
    assert.ok(error instanceof ConfigError, String(error));
    assert.equal(error.variable, 'FEDERATION_HOSTS');
    return error;
  }
  assert.fail(`accepted ${raw}`);
}

describe('FEDERATION_HOSTS', () => {
  it('is empty by default: no peer is ever contacted', () => {
    const config = loadConfig({ EXTERNAL_HOST: 'http://a.example.org' }, { cwd: '/nonexistent' });
    assert.deepEqual(config.federation.peers, []);
    assert.equal(config.federation.connectTimeoutMs, 5000);
    assert.equal(config.federation.maxDocumentBytes, 8 * 1024 * 1024);
  });

  it('reads host=url entries separated by commas or new lines, with pinned key ids', () => {
    const peers = parseFederationHosts(
      ` b.example.org=https://b.example.org/registry/;keyid=${KEY};keyid=${KEY2},\n127.0.0.1:4001=http://127.0.0.1:4001 `,
      LOCAL,
    );
    assert.deepEqual(peers, [
      { host: 'b.example.org', url: 'https://b.example.org/registry', keyIds: [KEY, KEY2] },
      { host: '127.0.0.1:4001', url: 'http://127.0.0.1:4001', keyIds: [] },
    ]);
  });

  const cases: Array<[string, string, RegExp]> = [
    ['no URL', 'b.example.org', /must be host=url/],
    ['an upper-case host', 'B.example.org=https://b.example.org', /invalid host/],
    ['a host with a path', 'b.example.org/x=https://b.example.org', /invalid host/],
    ['this registry itself', 'a.example.org=https://a.example.org', /this registry itself/],
    ['a host twice', 'b.example.org=https://b.example.org,b.example.org=https://c.example.org', /already listed/],
    ['a URL that does not parse', 'b.example.org=not a url', /does not parse/],
    ['a scheme other than http(s)', 'b.example.org=file:///etc/passwd', /http\(s\)/],
    ['credentials in the URL', 'b.example.org=https://user:secret@b.example.org', /credentials/],
    ['a query', 'b.example.org=https://b.example.org/?x=1', /query or fragment/],
    ['an unknown option', 'b.example.org=https://b.example.org;trust=all', /unknown option/],
    ['a malformed key id', 'b.example.org=https://b.example.org;keyid=SHA256:short', /key id/],
  ];
  for (const [label, raw, message] of cases) {
    it(`refuses ${label}, naming the entry`, () => {
      const error = refused(raw);
      assert.match(error.message, /^Invalid configuration: FEDERATION_HOSTS entry "/);
      assert.match(error.message, message);
    });
  }

  it('never echoes the credentials of a URL it refuses', () => {
    const error = refused('b.example.org=https://user:hunter2@b.example.org');
    assert.doesNotMatch(error.message, /hunter2/);
  });

  it('quotes a long entry only cut short', () => {
    const error = refused(`b.example.org=https://b.example.org/;${'x'.repeat(5000)}`);
    assert.ok(error.message.length < 300, error.message);
  });
});
