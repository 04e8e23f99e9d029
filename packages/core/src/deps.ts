import type { BlobStore } from '@entropic/blobs';
import type { KeyValueStore } from '@entropic/kv';
import type { Host } from '@entropic/types';
import type { GrantCache } from './authorize.ts';
import type { Clock } from './ports/clock.ts';
import type { EventBus } from './ports/events.ts';
import type { Repositories, UnitOfWork } from './ports/repositories.ts';

export interface CoreLimits {
  maxDependencies: number;
  maxFiles: number;
  maxFileBytes: number;
  maxVersionBytes: number;
}

/** What the use cases need: ports, never concrete adapters. Every use case is `(deps, input)`. */
export interface CoreDeps {
  /** repositories outside a transaction; `uow.transaction` hands out ones inside one */
  repos: Repositories;
  uow: UnitOfWork;
  blobs: BlobStore;
  kv: KeyValueStore;
  clock: Clock;
  events: EventBus;
  host: Host;
  limits: CoreLimits;
  /** seals secrets kept at rest (TOTP secrets; OAUTH_PASSWORD) */
  sealPassword: string;
  /** remembers read grants between requests (the server's, moved on by every grant change); none: every read asks the database */
  grants?: GrantCache;
}
