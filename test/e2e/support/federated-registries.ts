// Registry processes for the federation e2e tests (each its own host on loopback), with a user
// `alice` and her publishes through the Entropic API.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodePublishBody, REPO_ROOT, type RegistryProcess, startRegistryProcess, TSX_LOADER } from '@entropic/testkit';

/** a Redis key prefix of its own per registry (PostgreSQL gives each a schema of its own) */
export const redisPrefix = (name: string): Record<string, string> =>
  process.env.REDIS_URL ? { REDIS_KEY_PREFIX: `fed-${name}-${process.pid}-${Date.now()}:` } : {};

const dataDirs: string[] = [];

/** Removes the data directories startWithAlice made (after the registries stopped). */
export async function removeDataDirs(): Promise<void> {
  await Promise.all(dataDirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
}

/**
 * A registry process with a user `alice`: on the embedded database the admin command cannot run
 * beside the server, so the user is made in its data directory first.
 */
export async function startWithAlice(
  options: Parameters<typeof startRegistryProcess>[0] = {},
): Promise<{ registry: RegistryProcess; token: string }> {
  if (process.env.POSTGRES_URL) {
    const registry = await startRegistryProcess(options);
    return { registry, token: (await registry.createUser('alice')).token };
  }
  const dataDir = await mkdtemp(join(tmpdir(), 'entropic-fed-'));
  dataDirs.push(dataDir);
  const out = await new Promise<string>((resolve, reject) => {
    const env = { ...process.env, NODE_ENV: 'testing', DATA_DIR: dataDir, LOG_LEVEL: 'warn', POSTGRES_URL: '', REDIS_URL: '' };
    const proc = spawn(
      process.execPath,
      ['--import', TSX_LOADER, join(REPO_ROOT, 'packages/server/src/admin.ts'), 'user', 'create', 'alice'],
      { cwd: dataDir, env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let text = '';
    proc.stdout.on('data', (d) => {
      text += d;
    });
    proc.stderr.on('data', (d) => {
      text += d;
    });
    proc.on('close', (code) => (code === 0 ? resolve(text) : reject(new Error(`admin user create: ${text}`))));
  });
  const registry = await startRegistryProcess({ ...options, dataDir });
  return { registry, token: out.trim().split('\n').at(-1) as string };
}

/** Publishes `alice/<name>@<version>` through the Entropic API; answers the publish's integrity and files. */
export async function publishAsAlice(
  registry: RegistryProcess,
  token: string,
  name: string,
  version: string,
  files: Record<string, string>,
  fields = {},
): Promise<{ integrity: string; files: Record<string, string> }> {
  const { payload, contentType } = await encodePublishBody({ files, fields });
  const response = await fetch(`${registry.url}/packages/package/alice/${name}/versions/${version}`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${token}`, 'content-type': contentType },
    body: new Uint8Array(payload),
  });
  const text = await response.text();
  assert.equal(response.status, 201, `publish ${name}@${version}: ${text}`);
  return JSON.parse(text) as { integrity: string; files: Record<string, string> };
}
