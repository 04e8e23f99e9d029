import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ClientError, type HostDocument } from '@entropic/client';
import { type PackageDocument, type PublicHostKey, packageStatement, verifyStatement } from '@entropic/types';
import type { CliContext } from './cli-context.ts';

/**
 * What `ds` checks itself of a package document (issue 15.5, docs/federation.md): the signature of
 * its host over the package statement (name, owner, versions → integrities, tags, yanks), with that
 * host's keys as pinned in the cache, and that no version changed its integrity since this cache
 * first saw it. The rest of the hash chain (version document, files) is checked by integrity.
 *
 * Keys are learned through the user's registry (`GET /-/v1/host`: its own keys, and the keys it
 * pinned for each peer), once per run when a host has no pinned key or a signature does not verify
 * with the pinned ones. A pinned key is never replaced (a key offered under a pinned id with other
 * bytes is ignored); new ids are added (a rotation), and an expiry is taken once set.
 */
export interface HostTrust {
  /** Throws BAD_HOST_SIGNATURE or REPLACED_VERSION; `previous` is the document this cache held before. */
  checkPackage(host: string, doc: PackageDocument, previous: PackageDocument | undefined): Promise<void>;
  /** The base URL of `host` as the registry names it (its FEDERATION_HOSTS entry), for `--origin`. */
  originUrl(host: string): Promise<string | undefined>;
}

export function createHostTrust(ctx: CliContext): HostTrust {
  const dir = join(ctx.cache().root, 'keys');
  const pinned = new Map<string, PublicHostKey[]>();
  let learned: Promise<HostDocument | undefined> | undefined;
  // bench only (bench/federation-verify.ts measures what the check costs): not a user setting
  const skip = ctx.io.env.ENTROPIC_BENCH_SKIP_HOST_SIGNATURES === '1';

  const pathOf = (host: string) => join(dir, `${createHash('sha256').update(host).digest('hex')}.json`);
  const keysOf = (host: string): PublicHostKey[] => {
    let keys = pinned.get(host);
    if (!keys) {
      try {
        keys = JSON.parse(readFileSync(pathOf(host), 'utf8')) as PublicHostKey[];
      } catch {
        keys = [];
      }
      pinned.set(host, keys);
    }
    return keys;
  };
  const pin = (host: string, offered: readonly PublicHostKey[]) => {
    const keys = keysOf(host).map((key) => ({ ...key }));
    let changed = false;
    for (const key of offered) {
      if (!key || typeof key.keyid !== 'string' || typeof key.key !== 'string') continue;
      const have = keys.find((k) => k.keyid === key.keyid);
      if (!have) {
        keys.push({ ...key });
        changed = true;
      } else if (have.key === key.key && have.expires === null && typeof key.expires === 'string') {
        have.expires = key.expires;
        changed = true;
      }
    }
    if (!changed) return;
    pinned.set(host, keys);
    mkdirSync(dir, { recursive: true });
    const temp = `${pathOf(host)}.${process.pid}.tmp`;
    writeFileSync(temp, JSON.stringify(keys));
    renameSync(temp, pathOf(host));
  };
  const learn = (): Promise<HostDocument | undefined> => {
    learned ??= ctx
      .client()
      .hostDocument()
      .then((doc) => {
        if (typeof doc?.host === 'string' && Array.isArray(doc.keys)) pin(doc.host, doc.keys);
        for (const peer of Array.isArray(doc?.peers) ? doc.peers : []) {
          if (typeof peer?.host === 'string' && Array.isArray(peer.keys)) pin(peer.host, peer.keys);
        }
        return doc;
      })
      .catch((error: unknown) => {
        ctx.debug(`could not read the registry's host document (${(error as Error).message})`);
        return undefined;
      });
    return learned;
  };
  const verifies = (host: string, doc: PackageDocument) =>
    verifyStatement(packageStatement(doc), doc.hostSignatures, keysOf(host), new Date(doc.modified));

  return {
    async checkPackage(host, doc, previous) {
      if (skip) return;
      if (!verifies(host, doc)) {
        await learn();
        if (!verifies(host, doc)) {
          const keyids = (doc.hostSignatures ?? []).map((s) => String(s?.keyid).slice(0, 60));
          throw new ClientError(
            'BAD_HOST_SIGNATURE',
            `The package document of ${doc.name.slice(0, 200)} is not signed by a key of ${host.slice(0, 100)} (${keyids.length === 0 ? 'no signature' : `signed by ${keyids.join(', ')}`}); nothing was installed.`,
            {
              hint: `Something between you and the registry changed it, or ${host.slice(0, 100)} is not who it was when its keys were pinned (${dir}). Report it to the registry operator.`,
              details: { host, keys: keysOf(host).map((k) => k.keyid) },
            },
          );
        }
      }
      for (const [version, integrity] of Object.entries(previous?.versions ?? {})) {
        const now = doc.versions[version];
        if (now !== undefined && now !== integrity) {
          throw new ClientError(
            'REPLACED_VERSION',
            `${host.slice(0, 100)} now signs ${doc.name.slice(0, 200)}@${version.slice(0, 60)} with another integrity than the one this cache first saw; nothing was installed.`,
            {
              hint: 'A published version never changes: the host shows two contents for one version. Keep the first, and report it.',
              details: { version, first: integrity, now },
            },
          );
        }
      }
    },

    async originUrl(host) {
      const doc = await learn();
      const url = doc?.peers?.find((peer) => peer.host === host)?.url;
      return typeof url === 'string' ? url : undefined;
    },
  };
}
