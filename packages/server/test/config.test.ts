// API.md §8: configuration is validated at start with a message naming the bad variable;
// production refuses the default secrets; a `.env` file in the working directory is read.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ConfigError, DEFAULT_OAUTH_PASSWORD, DEFAULT_SESSION_SECRET, loadConfig } from '@entropic/server/config';
import { REPO_ROOT, TSX_LOADER } from '@entropic/testkit';
import { type CommandResult, runCommand } from './support/run-admin.ts';

const SECRET = 'a-real-secret-that-is-long-enough-0123456789';

let cwd: string;
before(async () => {
  cwd = await mkdtemp(join(tmpdir(), 'entropic-config-'));
});
after(() => rm(cwd, { recursive: true, force: true }));

function configError(env: Record<string, string>, dir = cwd): ConfigError {
  try {
    loadConfig(env, { cwd: dir });
  } catch (error) {
    assert.ok(error instanceof ConfigError, String(error));
    return error;
  }
  assert.fail(`loadConfig accepted ${JSON.stringify(env)}`);
}

describe('loadConfig', () => {
  const bad: Array<[string, string]> = [
    ['PORT', 'abc'],
    ['PORT', '70000'],
    ['PORT', '-1'],
    ['EXTERNAL_HOST', 'nope'],
    ['EXTERNAL_HOST', 'ftp://example.com'],
    ['POSTGRES_URL', 'not a url'],
    ['REDIS_URL', 'localhost:6379'],
    ['NODE_ENV', 'weird'],
    ['MAX_FILES', '-1'],
    ['MAX_FILES', '0'],
    ['MAX_FILE_BYTES', '1.5'],
    ['MAX_VERSION_BYTES', '10MB'],
    ['MAX_DEPENDENCIES', 'many'],
    ['SESSION_EXPIRY_SECONDS', '5'],
    ['SESSION_SECRET', 'short'],
    ['OAUTH_PASSWORD', 'short'],
    ['DEV_LATENCY_ERROR_MS', 'slow'],
    ['LOG_LEVEL', 'loud'],
    ['BLOB_COMPRESSION', 'zip'],
    ['LOCAL_ACCOUNTS', 'maybe'],
    ['GC_GRACE_SECONDS', '1h'],
    ['CACHE_TTL_SECONDS', '100000'],
    ['LEGACY_NEGATIVE_TTL_SECONDS', '100000'],
    ['LEGACY_NEGATIVE_TTL_SECONDS', '1m'],
    ['LEGACY_KEEP_REMOVED', 'maybe'],
    ['LEGACY_SLOW_FETCH_MS', 'slow'],
    ['REDIS_KEY_PREFIX', 'has spaces'],
    ['SHUTDOWN_DRAIN_SECONDS', '5s'],
    ['SHUTDOWN_DRAIN_SECONDS', '601'],
    ['SHUTDOWN_TIMEOUT_SECONDS', '0'],
    ['FEDERATION_HOSTS', 'b.example.org'],
    ['FEDERATION_HOSTS', 'b.example.org=ftp://b.example.org'],
    ['FEDERATION_STALL_TIMEOUT_MS', 'soon'],
  ];
  for (const [variable, value] of bad) {
    it(`refuses ${variable}=${value} with a message naming it`, () => {
      const error = configError({ [variable]: value });
      assert.equal(error.variable, variable);
      assert.match(error.message, new RegExp(`\\b${variable}\\b`));
    });
  }

  it('names the missing half of a pair', () => {
    assert.equal(configError({ OAUTH_GITHUB_SECRET: 'x' }).variable, 'OAUTH_GITHUB_CLIENT');
    assert.equal(configError({ OAUTH_GITHUB_CLIENT: 'x' }).variable, 'OAUTH_GITHUB_SECRET');
    assert.equal(configError({ OIDC_ISSUER: 'https://id.example.com' }).variable, 'OIDC_CLIENT_ID');
  });

  it('reads the S3 blob store settings only with BLOB_STORE=s3', () => {
    const s3 = { BLOB_STORE: 's3', S3_BUCKET: 'entropic-blobs' };
    assert.equal(configError({ BLOB_STORE: 'gcs' }).variable, 'BLOB_STORE');
    assert.equal(configError({ BLOB_STORE: 's3' }).variable, 'S3_BUCKET');
    assert.equal(configError({ ...s3, S3_BUCKET: 'Not_A_Bucket' }).variable, 'S3_BUCKET');
    assert.equal(configError({ ...s3, S3_ENDPOINT: 'localhost:7480' }).variable, 'S3_ENDPOINT');
    assert.equal(configError({ ...s3, AWS_ACCESS_KEY_ID: 'key' }).variable, 'AWS_SECRET_ACCESS_KEY');
    assert.equal(configError({ ...s3, S3_PREFIX: 'no-slash' }).variable, 'S3_PREFIX');
    assert.equal(configError({ ...s3, BLOB_CACHE_BYTES: '64MB' }).variable, 'BLOB_CACHE_BYTES');
    assert.equal(loadConfig({ S3_BUCKET: 'ignored' }).s3, undefined);
    assert.equal(loadConfig(s3).blobPacking?.index, 'database', 'packing is on by default on S3, its index in the shared database');
    assert.equal(loadConfig({ ...s3, BLOB_PACK_INDEX: 'file' }).blobPacking?.index, 'file');
    assert.equal(configError({ ...s3, BLOB_PACK_INDEX: 'redis' }).variable, 'BLOB_PACK_INDEX');
    assert.equal(loadConfig({ ...s3, BLOB_PACKING: 'off' }).blobPacking, undefined, 'and off when asked');
    assert.deepEqual(
      loadConfig({
        ...s3,
        S3_ENDPOINT: 'http://127.0.0.1:7480',
        S3_FORCE_PATH_STYLE: 'true',
        AWS_REGION: 'eu-west-1',
        AWS_ACCESS_KEY_ID: 'key',
        AWS_SECRET_ACCESS_KEY: 'secret',
        S3_PREFIX: 'registry-a/',
      }).s3,
      {
        bucket: 'entropic-blobs',
        endpoint: 'http://127.0.0.1:7480',
        region: 'eu-west-1',
        forcePathStyle: true,
        credentials: { accessKeyId: 'key', secretAccessKey: 'secret' },
        prefix: 'registry-a/',
        cacheBytes: 64 * 1024 * 1024,
        cacheMaxObjectBytes: 1024 * 1024,
      },
    );
    assert.equal(loadConfig(s3).s3?.credentials, undefined, "without keys: the SDK's default chain");
  });

  it('never echoes credentials of a malformed URL', () => {
    const error = configError({ POSTGRES_URL: 'postgres://admin:hunter2-password@db:notaport/x' });
    assert.equal(error.variable, 'POSTGRES_URL');
    assert.doesNotMatch(error.message, /hunter2/);
  });

  it('refuses the default secrets in production, and accepts real ones', () => {
    assert.equal(configError({ NODE_ENV: 'production' }).variable, 'SESSION_SECRET');
    assert.equal(configError({ NODE_ENV: 'production', SESSION_SECRET: SECRET }).variable, 'OAUTH_PASSWORD');
    assert.equal(
      configError({ NODE_ENV: 'production', SESSION_SECRET: DEFAULT_SESSION_SECRET, OAUTH_PASSWORD: SECRET }).variable,
      'SESSION_SECRET',
    );
    assert.equal(
      configError({ NODE_ENV: 'production', SESSION_SECRET: SECRET, OAUTH_PASSWORD: DEFAULT_OAUTH_PASSWORD }).variable,
      'OAUTH_PASSWORD',
    );
    const config = loadConfig({ NODE_ENV: 'production', SESSION_SECRET: SECRET, OAUTH_PASSWORD: `${SECRET}!` }, { cwd });
    assert.equal(config.nodeEnv, 'production');
    assert.equal(config.localAccounts, false);
    // the defaults are fine outside production
    assert.equal(loadConfig({}, { cwd }).sessionSecret, DEFAULT_SESSION_SECRET);
  });

  it('derives the default EXTERNAL_HOST from LISTEN_ADDRESS and PORT', () => {
    assert.equal(loadConfig({ PORT: '4873' }, { cwd }).externalUrl, 'http://127.0.0.1:4873');
    assert.equal(loadConfig({ LISTEN_ADDRESS: '::1', PORT: '4000' }, { cwd }).host, '[::1]:4000');
    assert.equal(loadConfig({ LISTEN_ADDRESS: '0.0.0.0' }, { cwd }).externalUrl, 'http://localhost:3000');
    assert.equal(loadConfig({ EXTERNAL_HOST: 'https://registry.example.com/' }, { cwd }).externalUrl, 'https://registry.example.com');
  });

  it('has the documented defaults and is frozen', () => {
    const config = loadConfig({}, { cwd });
    assert.equal(config.port, 3000);
    // the address it listens on (issue 17.13), so URLs in packuments and logins name the host clients use
    assert.equal(config.externalUrl, 'http://127.0.0.1:3000');
    assert.equal(config.host, '127.0.0.1:3000');
    assert.equal(config.dataDir, join(cwd, 'data'));
    assert.equal(config.cacheDir, join(cwd, 'data', 'blobs'));
    assert.equal(config.postgresUrl, undefined);
    assert.equal(config.redisUrl, undefined);
    assert.equal(config.redisKeyPrefix, 'entropic:');
    assert.equal(config.shutdownDrainMs, 0, 'no drain unless a load balancer needs one');
    assert.equal(config.shutdownTimeoutMs, 10_000);
    assert.equal(loadConfig({ SHUTDOWN_DRAIN_SECONDS: '5', REDIS_KEY_PREFIX: 'reg-b:' }, { cwd }).shutdownDrainMs, 5000);
    assert.deepEqual(config.limits, {
      maxDependencies: 1024,
      maxFiles: 10_000,
      maxFileBytes: 64 * 1024 * 1024,
      maxVersionBytes: 256 * 1024 * 1024,
    });
    assert.deepEqual(
      config.blobPacking,
      {
        index: 'file',
        indexDir: join(cwd, 'data', 'blobs', 'packs'),
        leaseSeconds: 60,
        repackIntervalSeconds: 600,
        repackGraceSeconds: 60,
      },
      'packed storage is the default on the filesystem store',
    );
    assert.equal(loadConfig({ BLOB_PACKING: 'off' }, { cwd }).blobPacking, undefined);
    assert.ok(Object.isFrozen(config));
  });

  it('reads .env from the working directory; real variables win', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'entropic-dotenv-'));
    try {
      await writeFile(
        join(dir, '.env'),
        [
          '# a comment',
          'PORT=4321',
          'export MAX_FILES=12',
          `SESSION_SECRET="${SECRET}"`,
          "EXTERNAL_HOST='https://registry.example.com'",
          'CACHE_DIR=./elsewhere',
          '',
        ].join('\n'),
      );
      const config = loadConfig({ MAX_FILES: '34' }, { cwd: dir });
      assert.equal(config.port, 4321);
      assert.equal(config.limits.maxFiles, 34);
      assert.equal(config.sessionSecret, SECRET);
      assert.equal(config.host, 'registry.example.com');
      assert.equal(config.cacheDir, join(dir, 'elsewhere'));
      await writeFile(join(dir, '.env'), 'MAX_FILE_BYTES=lots\n');
      assert.equal(configError({}, dir).variable, 'MAX_FILE_BYTES');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('npm start with bad configuration', () => {
  // Only the variables under test: no database, no port is touched before validation fails.
  const baseEnv = () => {
    const env: Record<string, string | undefined> = { ...process.env, NODE_ENV: 'testing' };
    for (const key of ['POSTGRES_URL', 'REDIS_URL', 'PORT', 'EXTERNAL_HOST', 'SESSION_SECRET', 'OAUTH_PASSWORD']) delete env[key];
    return env;
  };
  const cases: Array<[string, Record<string, string>, string]> = [
    ['PORT=abc', { PORT: 'abc' }, 'PORT'],
    ['EXTERNAL_HOST=nope', { EXTERNAL_HOST: 'nope' }, 'EXTERNAL_HOST'],
    ['MAX_FILES=-1', { MAX_FILES: '-1' }, 'MAX_FILES'],
    ['NODE_ENV=weird', { NODE_ENV: 'weird' }, 'NODE_ENV'],
    ['FEDERATION_HOSTS without a URL', { FEDERATION_HOSTS: 'b.example.org' }, 'FEDERATION_HOSTS'],
    ['production with default secrets', { NODE_ENV: 'production' }, 'SESSION_SECRET'],
    ['production with the default OAUTH_PASSWORD', { NODE_ENV: 'production', SESSION_SECRET: SECRET }, 'OAUTH_PASSWORD'],
  ];

  const main = join(REPO_ROOT, 'packages/server/src/main.ts');
  const assertRefused = (label: string, variable: string, result: CommandResult) => {
    assert.notEqual(result.code, 0, `${label}: exit ${result.code}`);
    assert.match(result.stderr, new RegExp(`Invalid configuration: ${variable}\\b`), `${label}: ${result.stderr}`);
    assert.doesNotMatch(result.stderr, /\n\s+at /, `${label}: no stack trace`);
  };

  it('`npm start` exits non-zero with a message naming the variable', async () => {
    // one after the other: npm start builds the bundle first, into one shared dist/
    for (const [label, env, variable] of cases.slice(0, 2)) {
      const result = await runCommand('npm', ['start', '--silent'], { cwd: REPO_ROOT, env: { ...baseEnv(), ...env }, timeoutMs: 120_000 });
      assertRefused(label, variable, result);
    }
  });

  it('the server entry point exits non-zero naming each bad variable', async () => {
    const results = await Promise.all(
      cases.map(async ([label, env, variable]) => {
        const result = await runCommand(process.execPath, ['--import', TSX_LOADER, main], {
          cwd,
          env: { ...baseEnv(), ...env },
          timeoutMs: 60_000,
        });
        return { label, variable, result };
      }),
    );
    for (const { label, variable, result } of results) assertRefused(label, variable, result);
  });

  it('reads a .env file in the working directory', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'entropic-dotenv-'));
    try {
      await writeFile(join(dir, '.env'), 'MAX_VERSION_BYTES=huge\n');
      const result = await runCommand(process.execPath, ['--import', TSX_LOADER, main], { cwd: dir, env: baseEnv(), timeoutMs: 60_000 });
      assert.equal(result.code, 2, result.stderr);
      assert.match(result.stderr, /Invalid configuration: MAX_VERSION_BYTES must be a whole number, got "huge"/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
