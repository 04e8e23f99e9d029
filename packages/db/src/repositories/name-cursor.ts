import type { NameKey } from '@entropic/core';
import { type RawBuilder, type SqlBool, sql } from 'kysely';

/**
 * `(name, id) > (after.name, after.id)`: the keyset condition for the page of a name-sorted list
 * after a cursor. The id breaks ties, so a page boundary never skips or repeats a row.
 */
export function nameAfter(after: NameKey, nameColumn: string, idColumn: string): RawBuilder<SqlBool> {
  return sql<SqlBool>`(${sql.ref(nameColumn)}, ${sql.ref(idColumn)}) > (${after.name}, ${after.id})`;
}
