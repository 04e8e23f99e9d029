import { randomUUID } from 'node:crypto';
import type { GrantCache, GrantSnapshot, Repositories, UnitOfWork } from '@entropic/core';
import type { KeyValueStore } from '@entropic/kv';
import { LRUCache } from 'lru-cache';
import { type CacheStats, NO_CACHE_STATS } from './metrics.ts';

/** The key of the access epoch: a random value replaced by every committed grant change. */
const EPOCH_KEY = 'access-epoch';

/**
 * Read grants remembered per (user, package) (docs/decisions/grant-cache.md). What is remembered
 * belongs to one access epoch, a random value in the key-value store (shared by every process
 * when it is Redis) that every change to members, maintainers, teams or grants replaces once it
 * is committed and before its request answers (`trackGrantChanges`). A read first reads the
 * epoch: one in-memory lookup on the embedded default, one GET on Redis, against two queries
 * for the grant itself. A read that started after a revocation answered reads the new epoch and
 * so finds nothing from before; an answer asked of the database under an epoch that moved
 * meanwhile is forgotten at the next read. Answers also expire after `ttlMs`, which bounds what
 * a process partitioned from the key-value store could serve (it asks the database when it cannot
 * read the epoch).
 */
export class EpochGrantCache implements GrantCache {
  private readonly answers: LRUCache<string, boolean>;
  /** the epoch `answers` belong to */
  private epoch: string | undefined;
  /** local packages' namespace and name: they never change, so they outlive epochs */
  readonly names = new LRUCache<number, { namespace: string; name: string }>({ max: 100_000 });

  constructor(
    private readonly kv: KeyValueStore,
    private readonly stats: CacheStats = NO_CACHE_STATS,
    options: { max?: number; ttlMs?: number } = {},
  ) {
    this.answers = new LRUCache({ max: options.max ?? 100_000, ttl: options.ttlMs ?? 60_000 });
  }

  /**
   * The current access epoch, read now; undefined when the store cannot be read (then nothing
   * remembered may be trusted). The token cache checks its entries against it too.
   */
  async current(): Promise<string | undefined> {
    try {
      return (await this.kv.get(EPOCH_KEY)) ?? (await this.startEpoch());
    } catch {
      return undefined;
    }
  }

  async begin(): Promise<GrantSnapshot | undefined> {
    const epoch = await this.current();
    if (epoch === undefined) return undefined; // the database is asked
    if (epoch !== this.epoch) {
      this.answers.clear();
      this.epoch = epoch;
    }
    return new EpochSnapshot(this, epoch);
  }

  /** What is remembered for (user, package) under `epoch` (EpochSnapshot's `get`). */
  answerIn(epoch: string, userId: number, packageId: number): boolean | undefined {
    const found = this.epoch === epoch ? this.answers.get(`${userId}:${packageId}`) : undefined;
    if (found === undefined) this.stats.miss();
    else this.stats.hit();
    return found;
  }

  /** Remembers an answer asked under `epoch`, unless the epoch moved meanwhile (EpochSnapshot's `set`). */
  rememberIn(epoch: string, userId: number, packageId: number, open: boolean): void {
    if (this.epoch === epoch) this.answers.set(`${userId}:${packageId}`, open);
  }

  /** The first read of a fresh store: whichever process sets the epoch first wins. */
  private async startEpoch(): Promise<string | undefined> {
    await this.kv.setIfAbsent(EPOCH_KEY, randomUUID());
    return this.kv.get(EPOCH_KEY);
  }

  /**
   * A grant changed (or a token was revoked) and is committed: a new epoch, here and (through the
   * shared store) for every process. Throws when the store cannot be written, so the change does not answer success while
   * other processes may still serve the old grant (their answers expire within `ttlMs`).
   */
  async changed(): Promise<void> {
    this.answers.clear();
    this.epoch = undefined;
    await this.kv.set(EPOCH_KEY, randomUUID());
  }
}

/** One read's view of the cache: what was remembered under the epoch it read (no closures per read). */
class EpochSnapshot implements GrantSnapshot {
  constructor(
    private readonly cache: EpochGrantCache,
    private readonly epoch: string,
  ) {}

  get(userId: number, packageId: number): boolean | undefined {
    return this.cache.answerIn(this.epoch, userId, packageId);
  }

  set(userId: number, packageId: number, open: boolean): void {
    this.cache.rememberIn(this.epoch, userId, packageId, open);
  }

  nameOf(packageId: number): { namespace: string; name: string } | undefined {
    return this.cache.names.get(packageId);
  }

  setName(packageId: number, ref: { namespace: string; name: string }): void {
    this.cache.names.set(packageId, ref);
  }
}

/** The repository writes that add or take away read access to private packages. */
const GRANT_WRITES: Readonly<Record<string, ReadonlySet<string>>> = {
  teams: new Set(['addMember', 'acceptMembership', 'removeMember', 'inviteMaintainer', 'acceptMaintainership', 'removeMaintainer']),
  orgTeams: new Set(['destroy', 'addMember', 'removeMember', 'grant', 'revoke']),
  packages: new Set(['replaceMaintainers']),
};

type AnyMethod = (...args: unknown[]) => Promise<unknown>;

/**
 * Decorates the repositories so every grant write moves the access epoch once it is committed:
 * a write outside a transaction right after it, a transaction that wrote one after it ends (also
 * when it failed: a new epoch is harmless, a missed one is not), before the use case returns and
 * so before its request answers. No use case has to remember it.
 */
export function trackGrantChanges(
  repos: Repositories,
  uow: UnitOfWork,
  grants: { changed(): Promise<void> },
): { repos: Repositories; uow: UnitOfWork } {
  return {
    repos: onGrantWrite(repos, (write) => write.finally(() => grants.changed())),
    uow: {
      async transaction(work) {
        let wrote = false;
        try {
          return await uow.transaction((inner) =>
            work(
              onGrantWrite(inner, (write) => {
                wrote = true;
                return write;
              }),
            ),
          );
        } finally {
          if (wrote) await grants.changed();
        }
      },
    },
  };
}

/** `repos` with each grant write's promise passed through `wrap`; every other property as it is. */
function onGrantWrite(repos: Repositories, wrap: (write: Promise<unknown>) => Promise<unknown>): Repositories {
  const wrapped = new Map<string, unknown>();
  return new Proxy(repos, {
    get(target, key, receiver) {
      const repository = Reflect.get(target, key, receiver) as Record<string, unknown>;
      const writes = typeof key === 'string' ? GRANT_WRITES[key] : undefined;
      if (!writes || typeof key !== 'string') return repository;
      let view = wrapped.get(key);
      if (!view) {
        view = new Proxy(repository, {
          get(inner, method, innerReceiver) {
            const value = Reflect.get(inner, method, innerReceiver);
            if (typeof method !== 'string' || !writes.has(method) || typeof value !== 'function') return value;
            return (...args: unknown[]) => wrap((value as AnyMethod).apply(inner, args));
          },
        });
        wrapped.set(key, view);
      }
      return view;
    },
  });
}
