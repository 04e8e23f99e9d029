import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { resolve } from 'node:path';
import { type Host, hostFromUrl } from '@entropic/types';

export type NodeEnv = 'dev' | 'testing' | 'production';

export interface Limits {
  maxDependencies: number;
  maxFiles: number;
  maxFileBytes: number;
  maxVersionBytes: number;
}

export interface Config {
  nodeEnv: NodeEnv;
  port: number;
  listenAddress: string;
  externalUrl: string;
  host: Host;
  dataDir: string;
  cacheDir: string;
  postgresUrl: string | undefined;
  redisUrl: string | undefined;
  /** prefix of every Redis key and channel: processes of one registry share it, other registries on the same Redis do not */
  redisKeyPrefix: string;
  blobCompression: 'none' | 'brotli';
  /**
   * Packed storage (docs/decisions/packed-storage.md): objects are moved into compressed,
   * delta-encoded segments off the request path; undefined when BLOB_PACKING=off
   */
  blobPacking:
    | {
        /**
         * where the pack index is: `file`, a log in indexDir (one node); `database`, the registry's
         * database, shared by every instance sharing it and the bucket (the default on S3)
         */
        index: 'file' | 'database';
        indexDir: string;
        /** the pack lease's time to live: a packer that dies frees it after this */
        leaseSeconds: number;
        repackIntervalSeconds: number;
        repackGraceSeconds: number;
      }
    | undefined;
  /** where blobs live: the filesystem under cacheDir (default) or an S3 bucket */
  blobStore: 'fs' | 's3';
  /** BLOB_STORE=s3 only */
  s3: S3Config | undefined;
  limits: Limits;
  sessionSecret: string;
  sessionExpirySeconds: number;
  oauthPassword: string;
  /**
   * Signing keys given by configuration (HOST_SIGNING_KEYS_FILE, docs/federation.md) instead of
   * made at first start and kept in the database; the file is read again when keys are reloaded
   */
  hostSigningKeys: { file: string; keys: ConfiguredSigningKey[] } | undefined;
  github: { clientId: string; clientSecret: string; authorizeUrl: string; tokenUrl: string; userUrl: string } | undefined;
  oidc: { issuer: string; clientId: string; clientSecret: string; name: string } | undefined;
  localAccounts: boolean;
  /** password sign-in attempts allowed per account and per client address in one window */
  signInLimits: { perAccount: number; perAddress: number; windowSeconds: number };
  /**
   * `TRUST_PROXY`: addresses or CIDR blocks of reverse proxies whose `X-Forwarded-For` names the
   * client (the address token CIDR allowlists and sign-in limits see); empty: the socket's peer.
   */
  trustProxy: string[];
  devLatencyErrorMs: number;
  logLevel: string;
  cacheTtlSeconds: number;
  /** Cache-Control max-age of package documents and the other cached JSON reads: how long clients may reuse them unasked */
  documentMaxAgeSeconds: number;
  gcGraceSeconds: number;
  legacyUpstream: string | undefined;
  allowlistFile: string | undefined;
  /** seconds an upstream packument of the legacy mirror is fresh (then served stale while it revalidates) */
  legacyTtlSeconds: number;
  /** seconds an upstream 404 is remembered (0: never) */
  legacyNegativeTtlSeconds: number;
  /** versions the upstream removed stay installable by exact tarball URL (lockfiles); off: they 404 too */
  legacyKeepRemoved: boolean;
  /** an upstream fetch slower than this is logged as a warning (0: never) */
  legacySlowFetchMs: number;
  /**
   * Release-age quarantine (docs/security.md): versions younger than this many hours are not
   * offered to range resolution nor tagged `latest` in npm packuments; exact pins still install.
   * `legacy`: mirrored versions (their upstream `time`); `local`: versions published here. 0: off.
   */
  minReleaseAgeHours: { legacy: number; local: number };
  /** seconds an upstream `npm audit` answer is reused (0: never) */
  legacyAdvisoryTtlSeconds: number;
  /**
   * Prometheus metrics (`METRICS`, default on): served at GET /metrics. With `METRICS_TOKEN` set a
   * scrape must send `Authorization: Bearer <token>`; unset, /metrics is open (aggregates only).
   */
  metrics: { enabled: boolean; token: string | undefined };
  /** on SIGTERM, milliseconds readiness answers 503 before the listener closes (a load balancer's checks see it first) */
  shutdownDrainMs: number;
  /** after the drain, milliseconds in-flight requests get to finish before the process exits anyway */
  shutdownTimeoutMs: number;
  /** count tarball and version document downloads (in memory, flushed in batches) */
  downloadCounts: boolean;
  /** seconds between flushes of the download counts: what a crashed process may lose at most */
  downloadFlushSeconds: number;
  /** issue 10: audit retention, rate limits */
  security: SecurityConfig;
  /** issue 15: the peers this registry federates with, and the limits on what it asks of them */
  federation: FederationConfig;
  /** the job queue's worker: in the server process (`npm start`) and `npm run worker` */
  jobs: {
    /** run a worker inside the server process; off when separate `npm run worker` processes do the work */
    inServer: boolean;
    /** jobs one worker process runs at once */
    concurrency: number;
    /** how often an idle worker looks for due jobs (ms); jobs enqueued in the same process wake it at once */
    pollMs: number;
    /** jobs one claim leases (one statement), completed together in one more */
    batchSize: number;
    /**
     * the in-server worker yields to requests: it claims once the process answered none for this
     * long (ms; 0: at once), and after `quietMaxMs` at the latest however busy it is
     */
    quietMs: number;
    quietMaxMs: number;
    /** a job whose worker stops heartbeating for this long runs again elsewhere (seconds) */
    leaseSeconds: number;
    /** on SIGTERM, running jobs get this long to finish before they are handed back to the queue (seconds) */
    stopGraceSeconds: number;
    /** caps every kind's retry backoff (seconds); undefined: each kind's own cap (JOB_POLICIES, up to 10 minutes) */
    maxBackoffSeconds: number | undefined;
  };
}

export interface SecurityConfig {
  /** audit entries older than this many days are pruned (0: kept for ever) */
  auditRetentionDays: number;
  /** requests one token may make per minute (0: no limit) */
  tokenRequestsPerMinute: number;
  /** versions one user may publish per hour (0: no limit) */
  publishesPerHour: number;
  /**
   * This registry as a WebAuthn relying party (passkeys): the RP ID is EXTERNAL_HOST's host name,
   * the origin its origin. Browsers refuse IP addresses as RP IDs: use a name (localhost in
   * development) in EXTERNAL_HOST for passkeys to work.
   */
  relyingParty: { id: string; origin: string; name: string };
  /**
   * Trusted publishing (issue 10.2): the OpenID Connect issuers whose id tokens may be exchanged
   * for a publish token (`TRUSTED_PUBLISHING_ISSUERS`, comma-separated; empty: off), and how long
   * an exchanged token lives (`TRUSTED_PUBLISHING_TOKEN_TTL_SECONDS`).
   */
  trustedPublishingIssuers: readonly string[];
  trustedPublishingTokenTtlSeconds: number;
}

/** A registry this one trusts (`FEDERATION_HOSTS`): names of `ns@host` are read from it and from nowhere else. */
export interface FederationPeer {
  /** the host string of its names (`registry.example.com`, `10.0.0.2:3000`) */
  host: Host;
  /** where to reach it: scheme, host, port and an optional path prefix, no trailing slash */
  url: string;
  /** key ids it must sign with; empty: its keys are pinned at first contact (trust on first use) */
  keyIds: string[];
}

export interface FederationConfig {
  peers: FederationPeer[];
  /** ms to open a connection to a peer */
  connectTimeoutMs: number;
  /** ms from the request until the peer's status and headers are in */
  headersTimeoutMs: number;
  /** ms a peer may leave a body without sending a byte */
  stallTimeoutMs: number;
  /** largest JSON document (host, package, version document) accepted from a peer */
  maxDocumentBytes: number;
  /** seconds a remote package document is reused before its origin is asked again */
  refreshSeconds: number;
  /** seconds between two scheduled refreshes of what is mirrored from the peers (`federation-refresh` job); 0: none */
  refreshIntervalSeconds: number;
  /** packages at most one refresh run asks each origin for (the ones asked longest ago first) */
  refreshBatch: number;
}

export interface S3Config {
  bucket: string;
  /** an S3-compatible endpoint (radosgw, MinIO, R2…); undefined for AWS */
  endpoint: string | undefined;
  region: string;
  forcePathStyle: boolean;
  /** undefined: the AWS SDK's default chain (shared config files, instance and container roles) */
  credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string } | undefined;
  /** prefix of every key (several registries may share a bucket) */
  prefix: string;
  /** the in-memory cache of small hot objects in front of S3: total bytes (0: off) and largest object */
  cacheBytes: number;
  cacheMaxObjectBytes: number;
}

export const DEFAULT_SESSION_SECRET = 'insecure-development-session-secret-change-me';
export const DEFAULT_OAUTH_PASSWORD = 'insecure-development-oauth-password-change-me';

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`Invalid configuration: ${variable} ${message}`);
    this.name = 'ConfigError';
  }
}

/** Reads a `.env` file (KEY=value lines, # comments, optional quotes); real env vars win. */
export function readDotEnv(path: string): Record<string, string> {
  if (!existsSync(path)) return {};
  const out: Record<string, string> = {};
  for (const raw of readFileSync(path, 'utf8').split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const match = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(line);
    if (!match) continue;
    let value = match[2] ?? '';
    if ((value.startsWith('"') && value.endsWith('"')) || (value.startsWith("'") && value.endsWith("'"))) value = value.slice(1, -1);
    out[match[1] as string] = value;
  }
  return out;
}

type Env = Record<string, string | undefined>;

function integer(env: Env, name: string, fallback: number, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (raw === 'Infinity') return Number.MAX_SAFE_INTEGER;
  if (!/^\d+$/.test(raw)) throw new ConfigError(name, `must be a whole number, got "${raw}"`);
  const value = Number(raw);
  if (value < min || value > max) throw new ConfigError(name, `must be between ${min} and ${max}, got ${value}`);
  return value;
}

function url(env: Env, name: string, fallback?: string): string | undefined {
  const raw = env[name] || fallback;
  if (raw === undefined) return undefined;
  try {
    const parsed = new URL(raw);
    if (!/^(https?|postgres(ql)?|rediss?):$/.test(parsed.protocol)) throw new Error('scheme');
    return raw;
  } catch {
    // never echo credentials (postgres://user:password@…) into logs
    throw new ConfigError(name, `must be a URL, got "${raw.replace(/\/\/[^/\s]*@/, '//***@')}"`);
  }
}

function oneOf<T extends string>(env: Env, name: string, values: readonly T[], fallback: T): T {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!(values as readonly string[]).includes(raw)) throw new ConfigError(name, `must be one of ${values.join(', ')}, got "${raw}"`);
  return raw as T;
}

function bool(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (/^(1|true|yes|on)$/i.test(raw)) return true;
  if (/^(0|false|no|off)$/i.test(raw)) return false;
  throw new ConfigError(name, `must be true or false, got "${raw}"`);
}

function trustProxy(env: Env): string[] {
  const list = (env.TRUST_PROXY ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
  for (const entry of list) {
    const [address = '', prefix, ...rest] = entry.split('/');
    if (isIP(address) === 0 || rest.length > 0 || (prefix !== undefined && !/^\d{1,3}$/.test(prefix))) {
      throw new ConfigError('TRUST_PROXY', `"${entry}" is not an IP address or CIDR block`);
    }
  }
  return list;
}

function metricsToken(env: Env): string | undefined {
  const token = env.METRICS_TOKEN;
  if (token === undefined || token === '') return undefined;
  if (token.length < 16 || /\s/.test(token)) throw new ConfigError('METRICS_TOKEN', 'must be at least 16 characters, without spaces');
  return token;
}

function redisKeyPrefix(env: Env): string {
  const raw = env.REDIS_KEY_PREFIX;
  if (raw === undefined || raw === '') return 'entropic:';
  if (!/^[A-Za-z0-9_.:-]{1,64}$/.test(raw)) throw new ConfigError('REDIS_KEY_PREFIX', `must be 1-64 of A-Z a-z 0-9 _ . : -, got "${raw}"`);
  return raw;
}

const NODE_ENV_ALIASES: Record<string, NodeEnv> = {
  dev: 'dev',
  development: 'dev',
  testing: 'testing',
  test: 'testing',
  production: 'production',
  prod: 'production',
};

/**
 * The one config module: validated once, frozen. Only main.ts / admin.ts pass process.env;
 * everything else receives a Config.
 */
/**
 * Without EXTERNAL_HOST the public URL is the address the server listens on, so tarball and login
 * URLs name the host a client already talks to (an npm token saved for 127.0.0.1 is sent for them);
 * a wildcard bind (0.0.0.0, ::) has no one address, so it says localhost.
 */
export function defaultExternalUrl(listenAddress: string, port: number): string {
  const wildcard = listenAddress === '0.0.0.0' || listenAddress === '::' || listenAddress === '[::]';
  const host = wildcard
    ? 'localhost'
    : listenAddress.includes(':') && !listenAddress.startsWith('[')
      ? `[${listenAddress}]`
      : listenAddress;
  return `http://${host}:${port}`;
}

export function loadConfig(rawEnv: Env, options: { cwd?: string } = {}): Readonly<Config> {
  const cwd = options.cwd ?? process.cwd();
  const env: Env = { ...readDotEnv(resolve(cwd, '.env')), ...rawEnv };
  const nodeEnvRaw = env.NODE_ENV || 'dev';
  const nodeEnv = NODE_ENV_ALIASES[nodeEnvRaw];
  if (!nodeEnv) throw new ConfigError('NODE_ENV', `must be dev, testing or production, got "${nodeEnvRaw}"`);
  const production = nodeEnv === 'production';
  const port = integer(env, 'PORT', 3000, 0, 65535);
  const listenAddress = env.LISTEN_ADDRESS || (production ? '0.0.0.0' : '127.0.0.1');
  const externalUrl = (url(env, 'EXTERNAL_HOST', defaultExternalUrl(listenAddress, port || 3000)) as string).replace(/\/+$/, '');
  if (!/^https?:/.test(externalUrl)) throw new ConfigError('EXTERNAL_HOST', 'must be an http(s) URL');
  const dataDir = resolve(cwd, env.DATA_DIR || './data');
  const cacheDir = resolve(cwd, env.CACHE_DIR || resolve(dataDir, 'blobs'));
  const sessionSecret = env.SESSION_SECRET || DEFAULT_SESSION_SECRET;
  const oauthPassword = env.OAUTH_PASSWORD || DEFAULT_OAUTH_PASSWORD;
  if (sessionSecret.length < 32) throw new ConfigError('SESSION_SECRET', 'must be at least 32 characters');
  if (oauthPassword.length < 32) throw new ConfigError('OAUTH_PASSWORD', 'must be at least 32 characters');
  if (production && sessionSecret === DEFAULT_SESSION_SECRET)
    throw new ConfigError('SESSION_SECRET', 'must be set in production (the default is public)');
  if (production && oauthPassword === DEFAULT_OAUTH_PASSWORD)
    throw new ConfigError('OAUTH_PASSWORD', 'must be set in production (the default is public)');

  let github: Config['github'];
  if (env.OAUTH_GITHUB_CLIENT || env.OAUTH_GITHUB_SECRET) {
    if (!env.OAUTH_GITHUB_CLIENT) throw new ConfigError('OAUTH_GITHUB_CLIENT', 'must be set when OAUTH_GITHUB_SECRET is');
    if (!env.OAUTH_GITHUB_SECRET) throw new ConfigError('OAUTH_GITHUB_SECRET', 'must be set when OAUTH_GITHUB_CLIENT is');
    github = {
      clientId: env.OAUTH_GITHUB_CLIENT,
      clientSecret: env.OAUTH_GITHUB_SECRET,
      authorizeUrl: url(env, 'OAUTH_GITHUB_AUTHORIZE_URL', 'https://github.com/login/oauth/authorize') as string,
      tokenUrl: url(env, 'OAUTH_GITHUB_TOKEN_URL', 'https://github.com/login/oauth/access_token') as string,
      userUrl: url(env, 'OAUTH_GITHUB_USER_URL', 'https://api.github.com/user') as string,
    };
  }
  let oidc: Config['oidc'];
  if (env.OIDC_ISSUER) {
    if (!env.OIDC_CLIENT_ID) throw new ConfigError('OIDC_CLIENT_ID', 'must be set when OIDC_ISSUER is');
    oidc = {
      issuer: url(env, 'OIDC_ISSUER') as string,
      clientId: env.OIDC_CLIENT_ID,
      clientSecret: env.OIDC_CLIENT_SECRET ?? '',
      name: env.OIDC_NAME || 'OpenID Connect',
    };
  }

  const blobStore = oneOf(env, 'BLOB_STORE', ['fs', 's3'] as const, 'fs');
  const config: Config = {
    nodeEnv,
    port,
    listenAddress,
    externalUrl,
    host: hostFromUrl(externalUrl),
    dataDir,
    cacheDir,
    postgresUrl: url(env, 'POSTGRES_URL'),
    redisUrl: url(env, 'REDIS_URL'),
    redisKeyPrefix: redisKeyPrefix(env),
    blobCompression: oneOf(env, 'BLOB_COMPRESSION', ['none', 'brotli'] as const, 'none'),
    blobPacking:
      // on by default for every store (issue 14.1); on S3 its index is in the database, which every
      // instance sharing the bucket shares (docs/decisions/packed-storage.md)
      oneOf(env, 'BLOB_PACKING', ['on', 'off'] as const, 'on') === 'on'
        ? {
            index: oneOf(env, 'BLOB_PACK_INDEX', ['file', 'database'] as const, blobStore === 's3' ? 'database' : 'file'),
            indexDir: resolve(cwd, env.BLOB_PACK_DIR || resolve(cacheDir, 'packs')),
            leaseSeconds: integer(env, 'BLOB_PACK_LEASE_SECONDS', 60, 1),
            repackIntervalSeconds: integer(env, 'BLOB_REPACK_INTERVAL_SECONDS', 600, 1),
            repackGraceSeconds: integer(env, 'BLOB_REPACK_GRACE_SECONDS', 60, 0),
          }
        : undefined,
    blobStore,
    s3: blobStore === 's3' ? loadS3Config(env) : undefined,
    limits: {
      maxDependencies: integer(env, 'MAX_DEPENDENCIES', 1024, 0),
      maxFiles: integer(env, 'MAX_FILES', 10_000, 1),
      maxFileBytes: integer(env, 'MAX_FILE_BYTES', 64 * 1024 * 1024, 1),
      maxVersionBytes: integer(env, 'MAX_VERSION_BYTES', 256 * 1024 * 1024, 1),
    },
    sessionSecret,
    sessionExpirySeconds: integer(env, 'SESSION_EXPIRY_SECONDS', 14 * 24 * 3600, 60),
    oauthPassword,
    hostSigningKeys: env.HOST_SIGNING_KEYS_FILE ? loadHostSigningKeys(resolve(cwd, env.HOST_SIGNING_KEYS_FILE)) : undefined,
    github,
    oidc,
    localAccounts: bool(env, 'LOCAL_ACCOUNTS', !production),
    signInLimits: {
      perAccount: integer(env, 'SIGN_IN_LIMIT_PER_ACCOUNT', 10, 1),
      perAddress: integer(env, 'SIGN_IN_LIMIT_PER_ADDRESS', 50, 1),
      windowSeconds: integer(env, 'SIGN_IN_LIMIT_WINDOW_SECONDS', 900, 1, 86_400),
    },
    trustProxy: trustProxy(env),
    devLatencyErrorMs: integer(env, 'DEV_LATENCY_ERROR_MS', 2000, 0),
    logLevel: oneOf(
      env,
      'LOG_LEVEL',
      ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const,
      nodeEnv === 'testing' ? 'warn' : 'info',
    ),
    cacheTtlSeconds: integer(env, 'CACHE_TTL_SECONDS', 60, 0, 86_400),
    documentMaxAgeSeconds: integer(env, 'DOCUMENT_MAX_AGE_SECONDS', 10, 0, 3600),
    gcGraceSeconds: integer(env, 'GC_GRACE_SECONDS', 3600, 0),
    legacyUpstream: url(env, 'LEGACY_UPSTREAM'),
    allowlistFile: env.ALLOWLIST ? resolve(cwd, env.ALLOWLIST) : undefined,
    legacyTtlSeconds: integer(env, 'LEGACY_TTL_SECONDS', 300, 0, 30 * 86_400),
    legacyNegativeTtlSeconds: integer(env, 'LEGACY_NEGATIVE_TTL_SECONDS', 60, 0, 86_400),
    legacyKeepRemoved: bool(env, 'LEGACY_KEEP_REMOVED', false),
    legacySlowFetchMs: integer(env, 'LEGACY_SLOW_FETCH_MS', 2000, 0),
    minReleaseAgeHours: {
      legacy: integer(env, 'LEGACY_MIN_RELEASE_AGE_HOURS', 0, 0, 24 * 365),
      local: integer(env, 'MIN_RELEASE_AGE_HOURS', 0, 0, 24 * 365),
    },
    legacyAdvisoryTtlSeconds: integer(env, 'LEGACY_ADVISORY_TTL_SECONDS', 300, 0, 86_400),
    metrics: { enabled: bool(env, 'METRICS', true), token: metricsToken(env) },
    shutdownDrainMs: integer(env, 'SHUTDOWN_DRAIN_SECONDS', 0, 0, 600) * 1000,
    shutdownTimeoutMs: integer(env, 'SHUTDOWN_TIMEOUT_SECONDS', 10, 1, 3600) * 1000,
    downloadCounts: bool(env, 'DOWNLOAD_COUNTS', true),
    downloadFlushSeconds: integer(env, 'DOWNLOAD_FLUSH_SECONDS', 10, 1, 3600),
    security: loadSecurityConfig(env, externalUrl),
    federation: loadFederationConfig(env, hostFromUrl(externalUrl)),
    jobs: loadJobsConfig(env),
  };
  return Object.freeze(config);
}

/** A signing key from HOST_SIGNING_KEYS_FILE: a private key signs while valid; a public key only verifies. */
export interface ConfiguredSigningKey {
  privateKeyPem?: string;
  publicKeyPem?: string;
  notBefore: Date;
  expires: Date | null;
}

/**
 * Reads HOST_SIGNING_KEYS_FILE: either one PEM private key (P-256, PKCS#8 or SEC1; it signs from
 * the epoch with no end), or JSON `{"keys": [{"privateKey" | "publicKey": "<PEM>", "notBefore":
 * "<ISO>", "expires": "<ISO>" | null}]}` for several keys with validity periods (rotation: add a
 * key with a later notBefore, give the old one an expires; a retired key may keep only its public
 * half). Throws a ConfigError naming the variable and the entry.
 */
export function loadHostSigningKeys(file: string): { file: string; keys: ConfiguredSigningKey[] } {
  const fail = (message: string) => new ConfigError('HOST_SIGNING_KEYS_FILE', message);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw fail(`cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'}): ${file}`);
  }
  const p256 = (key: KeyObject, what: string) => {
    if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1')
      throw fail(`${what} is not an ECDSA P-256 key`);
  };
  const parse = <T>(what: string, make: () => T): T => {
    try {
      return make();
    } catch (error) {
      if (error instanceof ConfigError) throw error;
      throw fail(`${what} is not a PEM key`);
    }
  };
  if (text.trimStart().startsWith('-----BEGIN')) {
    p256(
      parse('its key', () => createPrivateKey(text)),
      'its key',
    );
    return { file, keys: [{ privateKeyPem: text, notBefore: new Date(0), expires: null }] };
  }
  let raw: { keys?: unknown };
  try {
    raw = JSON.parse(text) as { keys?: unknown };
  } catch {
    throw fail('is neither a PEM private key nor JSON');
  }
  if (!Array.isArray(raw?.keys) || raw.keys.length === 0) throw fail('has no "keys" list');
  const date = (value: unknown, what: string): Date => {
    if (typeof value !== 'string' || Number.isNaN(Date.parse(value))) throw fail(`${what} is not an ISO time`);
    return new Date(value);
  };
  const keys = (raw.keys as Array<Record<string, unknown>>).map((entry, index): ConfiguredSigningKey => {
    const what = `key ${index + 1}`;
    const notBefore = entry?.notBefore === undefined ? new Date(0) : date(entry.notBefore, `${what} notBefore`);
    const expires = entry?.expires == null ? null : date(entry.expires, `${what} expires`);
    if (typeof entry?.privateKey === 'string') {
      p256(
        parse(what, () => createPrivateKey(entry.privateKey as string)),
        what,
      );
      return { privateKeyPem: entry.privateKey, notBefore, expires };
    }
    if (typeof entry?.publicKey === 'string') {
      p256(
        parse(what, () => createPublicKey(entry.publicKey as string)),
        what,
      );
      return { publicKeyPem: entry.publicKey, notBefore, expires };
    }
    throw fail(`${what} has neither "privateKey" nor "publicKey"`);
  });
  return { file, keys };
}

/** The job queue's worker settings (JOBS_*). */
function loadJobsConfig(env: Env): Config['jobs'] {
  return {
    inServer: bool(env, 'JOBS_IN_SERVER', true),
    concurrency: integer(env, 'JOBS_CONCURRENCY', 2, 1, 64),
    pollMs: integer(env, 'JOBS_POLL_MS', 1000, 10, 60_000),
    batchSize: integer(env, 'JOBS_BATCH_SIZE', 32, 1, 1000),
    quietMs: integer(env, 'JOBS_QUIET_MS', 50, 0, 60_000),
    quietMaxMs: integer(env, 'JOBS_QUIET_MAX_MS', 5000, 0, 600_000),
    leaseSeconds: integer(env, 'JOBS_LEASE_SECONDS', 30, 1, 3600),
    stopGraceSeconds: integer(env, 'JOBS_STOP_GRACE_SECONDS', 5, 0, 600),
    maxBackoffSeconds: env.JOBS_MAX_BACKOFF_SECONDS ? integer(env, 'JOBS_MAX_BACKOFF_SECONDS', 600, 1, 86_400) : undefined,
  };
}

const PEER_HOST_RE = /^[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?(?::\d{1,5})?$/;
const KEY_ID_RE = /^SHA256:[A-Za-z0-9+/]{43}$/;

/**
 * `FEDERATION_HOSTS`: entries separated by commas (or new lines), each `host=url`, optionally
 * followed by `;keyid=SHA256:…` once per pinned key (docs/federation.md):
 * `b.example.org=https://b.example.org;keyid=SHA256:…, c.example.org=http://10.0.0.3:3000`.
 */
export function parseFederationHosts(raw: string | undefined, localHost: Host): FederationPeer[] {
  const peers: FederationPeer[] = [];
  const entries = (raw ?? '')
    .split(/[,\n]/)
    .map((entry) => entry.trim())
    .filter(Boolean);
  for (const entry of entries) {
    const shown = entry.length > 80 ? `${entry.slice(0, 80)}…` : entry;
    const fail = (why: string): never => {
      throw new ConfigError('FEDERATION_HOSTS', `entry "${shown.replace(/\/\/[^/\s]*@/, '//***@')}" ${why}`);
    };
    const [head = '', ...options] = entry.split(';').map((part) => part.trim());
    const eq = head.indexOf('=');
    if (eq <= 0) fail('must be host=url');
    const host = head.slice(0, eq).trim();
    const base = head.slice(eq + 1).trim();
    if (host !== host.toLowerCase() || !PEER_HOST_RE.test(host) || host.length > 255)
      fail('names an invalid host (lower case, host[:port])');
    if (host === localHost) fail('names this registry itself');
    if (peers.some((peer) => peer.host === host)) fail('names a host already listed');
    let parsed: URL | undefined;
    try {
      parsed = new URL(base);
    } catch {
      fail('has a URL that does not parse');
    }
    const u = parsed as URL;
    if (u.protocol !== 'http:' && u.protocol !== 'https:') fail('must give an http(s) URL');
    if (u.username || u.password) fail('must not carry credentials in its URL');
    if (u.search || u.hash) fail('must not have a query or fragment in its URL');
    const keyIds: string[] = [];
    for (const option of options) {
      const match = /^keyid=(.*)$/.exec(option);
      if (!match) fail(`has an unknown option (only keyid=SHA256:… is known)`);
      const keyId = (match as RegExpExecArray)[1] as string;
      if (!KEY_ID_RE.test(keyId)) fail('has a key id that is not SHA256: and 43 base64 characters');
      keyIds.push(keyId);
    }
    peers.push({ host: host as Host, url: `${u.origin}${u.pathname.replace(/\/+$/, '')}`, keyIds });
  }
  return peers;
}

function loadFederationConfig(env: Env, localHost: Host): FederationConfig {
  return {
    peers: parseFederationHosts(env.FEDERATION_HOSTS, localHost),
    connectTimeoutMs: integer(env, 'FEDERATION_CONNECT_TIMEOUT_MS', 5000, 1, 600_000),
    headersTimeoutMs: integer(env, 'FEDERATION_HEADERS_TIMEOUT_MS', 10_000, 1, 600_000),
    stallTimeoutMs: integer(env, 'FEDERATION_STALL_TIMEOUT_MS', 10_000, 1, 600_000),
    maxDocumentBytes: integer(env, 'FEDERATION_MAX_DOCUMENT_BYTES', 8 * 1024 * 1024, 1024),
    refreshSeconds: integer(env, 'FEDERATION_REFRESH_SECONDS', 60, 0, 86_400),
    refreshIntervalSeconds: integer(env, 'FEDERATION_REFRESH_INTERVAL_SECONDS', 900, 0, 7 * 86_400),
    refreshBatch: integer(env, 'FEDERATION_REFRESH_BATCH', 100, 1, 100_000),
  };
}

function loadSecurityConfig(env: Env, externalUrl: string): SecurityConfig {
  const external = new URL(externalUrl);
  return {
    relyingParty: { id: external.hostname, origin: external.origin, name: 'Entropic' },
    auditRetentionDays: integer(env, 'AUDIT_RETENTION_DAYS', 365, 0, 36_500),
    tokenRequestsPerMinute: integer(env, 'TOKEN_RATE_LIMIT_PER_MINUTE', 3000, 0),
    publishesPerHour: integer(env, 'PUBLISH_RATE_LIMIT_PER_HOUR', 1000, 0),
    trustedPublishingIssuers: issuerList(env),
    trustedPublishingTokenTtlSeconds: integer(env, 'TRUSTED_PUBLISHING_TOKEN_TTL_SECONDS', 900, 60, 3600),
  };
}

/** GitHub Actions' and GitLab.com's issuers unless set; each an http(s) URL, kept without a trailing slash. */
function issuerList(env: Env): readonly string[] {
  const raw = env.TRUSTED_PUBLISHING_ISSUERS ?? 'https://token.actions.githubusercontent.com,https://gitlab.com';
  const issuers = raw
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
  for (const issuer of issuers) {
    let url: URL;
    try {
      url = new URL(issuer);
    } catch {
      throw new ConfigError('TRUSTED_PUBLISHING_ISSUERS', `holds "${issuer}", which is not a URL`);
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') {
      throw new ConfigError('TRUSTED_PUBLISHING_ISSUERS', `holds "${issuer}", which is not an http(s) URL`);
    }
  }
  return Object.freeze(issuers.map((issuer) => issuer.replace(/\/+$/, '')));
}

function loadS3Config(env: Env): S3Config {
  const bucket = env.S3_BUCKET;
  if (!bucket) throw new ConfigError('S3_BUCKET', 'must be set when BLOB_STORE=s3');
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) throw new ConfigError('S3_BUCKET', `is not a valid bucket name: "${bucket}"`);
  const accessKeyId = env.AWS_ACCESS_KEY_ID;
  const secretAccessKey = env.AWS_SECRET_ACCESS_KEY;
  if (Boolean(accessKeyId) !== Boolean(secretAccessKey)) {
    throw new ConfigError(accessKeyId ? 'AWS_SECRET_ACCESS_KEY' : 'AWS_ACCESS_KEY_ID', 'must be set with the other AWS key variable');
  }
  const prefix = env.S3_PREFIX ?? '';
  if (prefix !== '' && !/^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*\/$/.test(prefix)) {
    throw new ConfigError('S3_PREFIX', `must be path segments ending in "/", got "${prefix}"`);
  }
  return {
    bucket,
    endpoint: url(env, 'S3_ENDPOINT'),
    region: env.AWS_REGION || env.AWS_DEFAULT_REGION || 'us-east-1',
    forcePathStyle: bool(env, 'S3_FORCE_PATH_STYLE', false),
    credentials:
      accessKeyId && secretAccessKey
        ? { accessKeyId, secretAccessKey, ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}) }
        : undefined,
    prefix,
    cacheBytes: integer(env, 'BLOB_CACHE_BYTES', 64 * 1024 * 1024, 0),
    cacheMaxObjectBytes: integer(env, 'BLOB_CACHE_MAX_OBJECT_BYTES', 1024 * 1024, 0),
  };
}

/**
 * The configuration of a process that owns itself (`npm start`, `npm run worker`): a bad
 * setting prints what is wrong and exits with status 2, before anything starts.
 */
export function loadConfigOrExit(rawEnv: Env): Readonly<Config> {
  try {
    return loadConfig(rawEnv);
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(2);
    }
    throw error;
  }
}
