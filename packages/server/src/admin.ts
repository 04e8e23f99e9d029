// Operator commands (API.md §9): `npm run admin -- <command>`. Reads process.env like main.ts.
import { parseArgs } from 'node:util';
import { type BlobStore, diskUsage } from '@entropic/blobs';
import {
  checkIntegrity,
  collectGarbage,
  createToken,
  createUser,
  getUserByName,
  hashPassword,
  repackBlobs,
  rotateHostKey,
} from '@entropic/core';
import { isAppError } from '@entropic/types';
import { JobsUsageError, runJobsCommand } from './admin-jobs.ts';
import { type Config, ConfigError, loadConfig } from './config.ts';
import { createDeps } from './deps.ts';
import { runningPid } from './lock-file.ts';

const USAGE = `Usage: npm run admin -- <command>

  user create <name> [--email <e>] [--password <p>]   create a user, its namespace and a publish token
  token create <user> [--scope read|publish] [--description <d>] [--expires-in-days <n>]
  migrate                                              apply database migrations
  gc [--grace-seconds <n>]                             delete blobs nothing references
  fsck                                                 check every version's blobs (every stored form decodes to its hash)
  repack [--grace-seconds <n>]                         move raw blobs into packed segments (BLOB_PACKING=on; default grace 60 s)
  storage                                              content bytes, stored bytes and allocated disk bytes of the blob store
  pack-index rebuild                                   add every segment the pack index lacks from the segments' own tables (a lost index)
  jobs [list] [--state queued|running|dead] [--kind <k>] [--limit <n>] [--json]
                                                       the job queue: counts by state, then each job with its tries and last error
  jobs retry <id>                                      run a dead (or waiting) job now, with all its tries again
  jobs drop <id>                                       delete a queued or dead job
  keys list                                            this host's signing keys (the one signing now is marked *)
  keys rotate [--grace-seconds <n>]                    a new signing key; older keys stop signing after the grace (default 600 s)
  federation refresh [--host <h>]                      ask the origins (or one) now for tags and yanks of what is mirrored from them (a job)`;

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      email: { type: 'string' },
      password: { type: 'string' },
      scope: { type: 'string' },
      description: { type: 'string' },
      'expires-in-days': { type: 'string' },
      'grace-seconds': { type: 'string' },
      state: { type: 'string' },
      kind: { type: 'string' },
      limit: { type: 'string' },
      json: { type: 'boolean' },
      host: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const [command, sub, arg] = positionals;
  if (values.help || !command) {
    console.log(USAGE);
    return command ? 0 : 2;
  }
  const config = loadConfig(process.env);
  if (!config.postgresUrl) {
    const pid = runningPid(config.dataDir);
    if (pid) {
      console.error(
        `The registry is running (pid ${pid}) on the embedded database in ${config.dataDir}. Stop it first, or use POSTGRES_URL to run admin commands beside it.`,
      );
      return 3;
    }
  }
  const deps = await createDeps(config);
  try {
    if (command === 'jobs') {
      const output = await runJobsCommand(deps, { action: sub, id: arg, ...values });
      for (const line of output.lines) console.log(line);
      return output.code;
    }
    const federation = await runFederationCommand(deps, config, `${command} ${sub ?? ''}`.trim(), values);
    if (federation !== undefined) return federation;
    switch (`${command} ${sub ?? ''}`.trim()) {
      case 'user create': {
        if (!arg) throw usage('user create needs a name');
        const passwordHash = values.password ? await hashPassword(values.password) : null;
        const user = await createUser(deps, { name: arg, email: values.email ?? null, passwordHash });
        const { token } = await createToken(deps, { userId: user.id, description: 'created by admin user create', scope: 'publish' });
        console.log(`Created user "${user.name}" with namespace "${user.name}@${config.host}".`);
        console.log(token);
        return 0;
      }
      case 'token create': {
        if (!arg) throw usage('token create needs a user name');
        const user = await getUserByName(deps, { name: arg });
        const scope = (values.scope ?? 'publish') as 'read' | 'publish';
        const days = values['expires-in-days'] ? Number(values['expires-in-days']) : undefined;
        if (days !== undefined && (!Number.isInteger(days) || days < 1)) throw usage('--expires-in-days takes a whole number of days');
        const { token } = await createToken(deps, {
          userId: user.id,
          description: values.description ?? 'created by admin token create',
          scope,
          expiresAt: days ? new Date(Date.now() + days * 86_400_000) : null,
        });
        console.log(token);
        return 0;
      }
      case 'migrate':
        console.log('Migrations are up to date.');
        return 0;
      case 'gc': {
        const grace = values['grace-seconds'] !== undefined ? Number(values['grace-seconds']) : config.gcGraceSeconds;
        if (!Number.isInteger(grace) || grace < 0) throw usage('--grace-seconds takes a whole number');
        const report = await collectGarbage(deps, { graceSeconds: grace });
        console.log(
          `Scanned ${report.scanned} blobs; deleted ${report.deleted} (${report.freedBytes} bytes); kept ${report.keptYoung} unreferenced blobs younger than ${grace} s; removed ${report.tempFiles} abandoned temp files; rewrote ${report.segmentsRewritten} packed segments (${report.segmentBytesFreed} bytes freed).`,
        );
        return 0;
      }
      case 'repack': {
        const grace = values['grace-seconds'] !== undefined ? Number(values['grace-seconds']) : 60;
        if (!Number.isInteger(grace) || grace < 0) throw usage('--grace-seconds takes a whole number');
        const report = await repackBlobs(deps, { graceSeconds: grace });
        if (!report) {
          console.error('Blob packing is off: set BLOB_PACKING=on (docs/decisions/packed-storage.md).');
          return 1;
        }
        if (report.busy) {
          console.error('Another registry process is packing or compacting this store now (it holds the pack lease); try again later.');
          return 1;
        }
        console.log(
          `Packed ${report.packed} blobs (${report.deltas} as deltas) into ${report.segments} segments: ${report.contentBytes} content bytes stored in ${report.storedBytes}; removed ${report.rawRemoved} raw copies left by an interrupted repack.`,
        );
        return 0;
      }
      case 'storage':
        return await printStorage(deps.blobs, config);
      case 'pack-index rebuild': {
        if (!deps.blobs.packing) {
          console.error('Blob packing is off (BLOB_PACKING=off): there is no pack index.');
          return 1;
        }
        const rebuilt = await deps.blobs.packing.rebuildIndex();
        if (rebuilt.busy) {
          console.error('Another registry process is packing or compacting this store now (it holds the pack lease); try again later.');
          return 1;
        }
        console.log(`Added ${rebuilt.segments} segments (${rebuilt.objects} objects) the pack index did not know.`);
        return 0;
      }
      case 'fsck': {
        const report = await checkIntegrity(deps);
        for (const p of report.problems) console.log(`${p.problem.toUpperCase()} ${p.version} ${p.path} ${p.integrity}`);
        console.log(
          `Checked ${report.versions} versions and ${report.blobs} blobs: ${report.problems.length === 0 ? 'all good' : `${report.problems.length} problems`}.`,
        );
        return report.problems.length === 0 ? 0 : 1;
      }
      default:
        throw usage(`unknown command "${positionals.join(' ')}"`);
    }
  } finally {
    await deps.close();
  }
}

/** `keys list|rotate` and `federation refresh` (issue 15): answers the exit code, or undefined for another command. */
async function runFederationCommand(
  deps: Awaited<ReturnType<typeof createDeps>>,
  config: Config,
  command: string,
  values: { 'grace-seconds'?: string | undefined; host?: string | undefined },
): Promise<number | undefined> {
  switch (command) {
    case 'keys list': {
      for (const key of deps.keyring.publicKeys()) {
        const mark = key.keyid === deps.keyring.currentKeyId() ? '*' : ' ';
        console.log(`${mark} ${key.keyid}  from ${key.notBefore}  ${key.expires ? `until ${key.expires}` : 'no end'}`);
      }
      return 0;
    }
    case 'keys rotate': {
      if (config.hostSigningKeys) {
        console.error(
          `The signing keys come from HOST_SIGNING_KEYS_FILE (${config.hostSigningKeys.file}): add a key with a later notBefore there, and give the old one an expires (docs/federation.md).`,
        );
        return 1;
      }
      const grace = values['grace-seconds'] !== undefined ? Number(values['grace-seconds']) : 600;
      if (!Number.isInteger(grace) || grace < 0) throw usage('--grace-seconds takes a whole number');
      const keyId = await rotateHostKey(deps, config.oauthPassword, grace);
      console.log(`New signing key ${keyId}; older keys stop signing in ${grace} s (running processes pick it up within a minute).`);
      return 0;
    }
    case 'federation refresh': {
      const hosts = config.federation.peers.map((peer) => peer.host as string);
      if (values.host !== undefined && !hosts.includes(values.host))
        throw usage(`--host ${values.host.slice(0, 100)} is not in FEDERATION_HOSTS`);
      if (hosts.length === 0) throw usage('FEDERATION_HOSTS names no host');
      const job = await deps.repos.jobs.enqueue({
        kind: 'federation-refresh',
        payload: values.host === undefined ? {} : { host: values.host },
      });
      console.log(
        `Enqueued federation-refresh job ${job} for ${values.host ?? hosts.join(', ')}: a worker asks the origin${values.host ? '' : 's'} for at most ${config.federation.refreshBatch} packages each (\`admin jobs --kind federation-refresh\` shows it).`,
      );
      return 0;
    }
    default:
      return undefined;
  }
}

/** `admin storage`: what the blobs hold, what is stored for them, and (filesystem) what the disk allocates. */
async function printStorage(blobs: BlobStore, config: Config): Promise<number> {
  const lines: string[] = [];
  if (blobs.packing) {
    const r = await blobs.packing.report();
    lines.push(`objects          ${r.objects} (${r.packedObjects} packed in ${r.segments} segments, ${r.rawObjects} raw)`);
    lines.push(`content bytes    ${r.contentBytes}`);
    lines.push(`stored bytes     ${r.storedBytes}`);
    for (const [codec, c] of Object.entries(r.byCodec)) {
      lines.push(`  ${codec.padEnd(14)} ${c.objects} objects, ${c.contentBytes} content bytes, ${c.storedBytes} stored`);
    }
  } else {
    let objects = 0;
    let content = 0;
    let stored = 0;
    for await (const info of blobs.list()) {
      objects += 1;
      content += info.size;
      stored += info.storedSize;
    }
    lines.push(`objects          ${objects} (packing off)`);
    lines.push(`content bytes    ${content}`);
    lines.push(`stored bytes     ${stored}`);
  }
  lines.push(
    config.s3 === undefined
      ? `allocated bytes  ${await diskUsage(config.cacheDir)} (du of ${config.cacheDir})`
      : 'allocated bytes  (S3: the bucket reports its own usage)',
  );
  for (const line of lines) console.log(line);
  return 0;
}

class UsageError extends Error {}
function usage(message: string) {
  return new UsageError(message);
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error) => {
    if (error instanceof UsageError || error instanceof JobsUsageError) console.error(`${error.message}\n\n${USAGE}`);
    else if (error instanceof ConfigError || isAppError(error)) console.error(error.message);
    else console.error(error);
    process.exit(error instanceof UsageError || error instanceof JobsUsageError ? 2 : 1);
  },
);
