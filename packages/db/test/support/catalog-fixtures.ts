import type { Kysely } from 'kysely';
import type { Database } from '../../src/schema.ts';

/** A local namespace inserted directly (namespaces are created by another repository). */
export async function insertNamespace(db: Kysely<Database>, name: string, kind: 'user' | 'org' = 'user'): Promise<number> {
  const row = await db.insertInto('namespaces').values({ name, host: null, kind }).returning('id').executeTakeFirstOrThrow();
  return row.id;
}

const SHA = (n: number) => `sha512-${Buffer.alloc(64, n).toString('base64')}`;

/** A syntactically valid integrity string, distinct per `n`. */
export function integrityOf(n: number): string {
  return SHA(n);
}

export function newVersion(packageId: number, version: string, overrides: { integrity?: string; files?: Record<string, string> } = {}) {
  const now = new Date();
  return {
    package_id: packageId,
    version,
    integrity: overrides.integrity ?? integrityOf(1),
    files: overrides.files ?? { './package/index.js': integrityOf(2) },
    derived_files: {},
    dependencies: { 'alice@registry.test/dep': '^1.0.0' },
    dev_dependencies: {},
    peer_dependencies: {},
    optional_dependencies: {},
    bundled_dependencies: {},
    signatures: ['sig'],
    total_bytes: 12,
    file_count: 1,
    created_at: now,
    modified_at: now,
  };
}
