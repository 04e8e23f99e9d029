import type { BlobStore } from '@entropic/blobs';
import type { Database } from '@entropic/db';
import type { KeyValueStore } from '@entropic/kv';
import type { Host } from '@entropic/types';
import type { Kysely } from 'kysely';

export interface CoreLimits {
  maxDependencies: number;
  maxFiles: number;
  maxFileBytes: number;
  maxVersionBytes: number;
}

/** What the use cases need: ports, never concrete adapters. */
export interface CoreDeps {
  db: Kysely<Database>;
  blobs: BlobStore;
  kv: KeyValueStore;
  host: Host;
  limits: CoreLimits;
  now?: () => Date;
}

export type Tx = Kysely<Database>;
