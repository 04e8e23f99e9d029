import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../schema.ts';

/** What a repository runs its queries on: the database, or a transaction of it. */
export type Executor = Kysely<Database> | Transaction<Database>;
