import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from './create-test-app.ts';

const SCRIPT = fileURLToPath(new URL('../../../scripts/s3-gateway.sh', import.meta.url));

export interface S3Gateway {
  /** `http://127.0.0.1:<port>` */
  endpoint: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** created empty at start */
  bucket: string;
  /** what a registry needs to store its blobs in this gateway's bucket (BLOB_STORE=s3, S3_*, AWS_*) */
  env: Record<string, string>;
  /** the gateway's directory (ceph.conf, logs) */
  dir: string;
  /** kills the daemons (SIGKILL: the data is thrown away) and removes the directory; idempotent */
  stop(): Promise<void>;
}

export interface S3GatewayOptions {
  /** the bucket created at start (default "entropic") */
  bucket?: string;
  /** the OSD's RAM cap in bytes (default 2 GiB; memstore keeps every object in RAM) */
  memstoreBytes?: number;
  /** how long to wait for the daemons to start (default 120 s: a loaded machine) */
  timeoutMs?: number;
}

function run(command: string, env: Record<string, string>, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('bash', [SCRIPT, command], { env: { ...process.env, ...env }, timeout: timeoutMs }, (error, stdout, stderr) => {
      if (error) reject(new Error(`scripts/s3-gateway.sh ${command} failed: ${error.message}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

/**
 * A real S3-compatible server (Ceph RADOS Gateway: one monitor, one in-memory OSD, radosgw) in a
 * temp dir on free loopback ports, with credentials and an empty bucket, started by
 * scripts/s3-gateway.sh (which needs its Debian packages: `scripts/s3-gateway.sh install`).
 * The daemons also stop when this process exits without calling stop() (the script watches it).
 */
export async function startS3Gateway(options: S3GatewayOptions = {}): Promise<S3Gateway> {
  // A port freePort() found free is an ephemeral port: an outgoing connection (the daemons' own)
  // may take it before radosgw binds it. Then the start fails with "Address already in use" and
  // is tried again on other ports; any other failure is the answer.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startS3GatewayOnce(options);
    } catch (error) {
      if (attempt >= 3 || !String((error as Error).message).includes('Address already in use')) throw error;
    }
  }
}

async function startS3GatewayOnce(options: S3GatewayOptions): Promise<S3Gateway> {
  const dir = await mkdtemp(join(tmpdir(), 'entropic-s3-'));
  const bucket = options.bucket ?? 'entropic';
  const accessKeyId = 'test-access-key';
  const secretAccessKey = 'test-secret-key';
  const [rgwPort, monPort, monV1Port] = [await freePort(), await freePort(), await freePort()];
  const scriptEnv = {
    CEPH_DIR: dir,
    RGW_PORT: String(rgwPort),
    MON_PORT: String(monPort),
    MON_V1_PORT: String(monV1Port),
    S3_ACCESS_KEY: accessKeyId,
    S3_SECRET_KEY: secretAccessKey,
    S3_BUCKET: bucket,
    WATCH_PID: String(process.pid),
    ...(options.memstoreBytes === undefined ? {} : { MEMSTORE_BYTES: String(options.memstoreBytes) }),
  };
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    try {
      await run('kill', { CEPH_DIR: dir }, 30_000);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  };
  try {
    await run('start', scriptEnv, options.timeoutMs ?? 120_000);
  } catch (error) {
    await stop().catch(() => {});
    throw error;
  }
  const endpoint = `http://127.0.0.1:${rgwPort}`;
  const region = 'us-east-1';
  return {
    endpoint,
    region,
    accessKeyId,
    secretAccessKey,
    bucket,
    dir,
    env: {
      BLOB_STORE: 's3',
      S3_BUCKET: bucket,
      S3_ENDPOINT: endpoint,
      S3_FORCE_PATH_STYLE: 'true',
      AWS_REGION: region,
      AWS_ACCESS_KEY_ID: accessKeyId,
      AWS_SECRET_ACCESS_KEY: secretAccessKey,
    },
    stop,
  };
}
