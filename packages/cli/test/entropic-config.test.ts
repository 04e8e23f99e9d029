import assert from 'node:assert/strict';
import { mkdtemp, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadConfig, normalizeRegistryUrl, parseConfig, saveConfig } from '../src/entropic-config.ts';

describe('~/.entropicrc', () => {
  it('parses a default registry and per-registry tokens, normalising URLs', () => {
    const config = parseConfig(
      'registry = "https://r.example/"\n[registries."https://r.example/"]\ntoken = "ent_v1_x"\nusername = "alice"\n',
      '/x/.entropicrc',
    );
    assert.equal(config.registry, 'https://r.example');
    assert.deepEqual(config.registries['https://r.example'], { token: 'ent_v1_x', username: 'alice' });
  });

  it('rejects invalid TOML and wrong types with INVALID_CONFIG', () => {
    assert.throws(() => parseConfig('registry = ', 'rc'), { code: 'INVALID_CONFIG' });
    assert.throws(() => parseConfig('registry = 3', 'rc'), { code: 'INVALID_CONFIG' });
    assert.throws(() => parseConfig('registries = 3', 'rc'), { code: 'INVALID_CONFIG' });
  });

  it('treats a missing file as empty and round-trips a saved one (owner-only)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ds-config-'));
    const path = join(dir, '.entropicrc');
    assert.deepEqual(await loadConfig(path), { registries: {} });
    await saveConfig(path, { registry: 'http://127.0.0.1:1', registries: { 'http://127.0.0.1:1': { token: 't' } } });
    assert.deepEqual(await loadConfig(path), { registry: 'http://127.0.0.1:1', registries: { 'http://127.0.0.1:1': { token: 't' } } });
    assert.equal((await stat(path)).mode & 0o777, 0o600);
    await writeFile(path, '[[[');
    await assert.rejects(loadConfig(path), { code: 'INVALID_CONFIG' });
    assert.match(await readFile(path, 'utf8'), /\[\[\[/);
  });

  it('refuses registry URLs that are not http(s)', () => {
    assert.throws(() => normalizeRegistryUrl('ftp://x'), { code: 'USAGE' });
    assert.throws(() => normalizeRegistryUrl('not a url'), { code: 'USAGE' });
    assert.equal(normalizeRegistryUrl('http://a:1///'), 'http://a:1');
  });
});
