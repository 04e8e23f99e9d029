import { Readable } from 'node:stream';
import type { PackageName, Version } from '@entropic/types';
import { type Actor, type PackageRef, type Principal, type PublishPart, publishVersion } from '../../src/index.ts';
import type { TestCoreDeps } from './core-deps.ts';

/**
 * A user with its own namespace, inserted directly (user creation is another module's use case).
 * The only place these catalog tests reach for SQL.
 */
export async function seedUser(deps: TestCoreDeps, name: string): Promise<{ principal: Principal; namespaceId: number }> {
  const user = await deps.db
    .insertInto('users')
    .values({ name, email: null, password_hash: null })
    .returning('id')
    .executeTakeFirstOrThrow();
  const ns = await deps.db.insertInto('namespaces').values({ name, host: null, kind: 'user' }).returning('id').executeTakeFirstOrThrow();
  await deps.db
    .insertInto('namespace_members')
    .values({ namespace_id: ns.id, user_id: user.id, accepted: true, invited_by: null })
    .execute();
  return { principal: { userId: user.id, username: name, scope: 'publish' }, namespaceId: ns.id };
}

export function packageRef(deps: TestCoreDeps, namespace: string, name: string): PackageRef {
  return { namespace: namespace as PackageRef['namespace'], host: deps.host, name: name as PackageName };
}

export interface PartsSpec {
  files?: Record<string, string>;
  fields?: Record<string, string>;
  signatures?: string[];
}

/** The parts a multipart publish body would give: fields first, then each file as a stream. */
export async function* partsOf(spec: PartsSpec = {}): AsyncGenerator<PublishPart> {
  for (const [name, value] of Object.entries(spec.fields ?? {})) yield { kind: 'field', name, value };
  for (const value of spec.signatures ?? []) yield { kind: 'field', name: 'signature', value };
  for (const [path, content] of Object.entries(spec.files ?? { 'index.js': 'module.exports = 1;\n' })) {
    yield { kind: 'file', filename: encodeURIComponent(`package/${path}`), stream: Readable.from([Buffer.from(content)]) };
  }
}

export function publish(deps: TestCoreDeps, principal: Actor, ref: PackageRef, version: string, spec?: PartsSpec) {
  return publishVersion(deps, { principal, ref, version: version as Version, parts: partsOf(spec) });
}
