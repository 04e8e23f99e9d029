import type { Repositories, UnitOfWork } from '@entropic/core';
import type { Kysely } from 'kysely';
import type { Database } from '../schema.ts';
import type { Executor } from './executor.ts';
import { mirrorRepository } from './mirror.ts';
import { namespaceRepository } from './namespaces.ts';
import { npmTarballRepository } from './npm-tarballs.ts';
import { objectReferenceRepository } from './objects.ts';
import { packageRepository } from './packages.ts';
import { searchRepository } from './search.ts';
import { tagRepository } from './tags.ts';
import { teamRepository } from './teams.ts';
import { tokenRepository } from './tokens.ts';
import { userRepository } from './users.ts';
import { versionRepository } from './versions.ts';

/** The SQL behind every port of `core/src/ports`, on the database or on one transaction. */
export function createRepositories(db: Executor): Repositories {
  return {
    namespaces: namespaceRepository(db),
    packages: packageRepository(db),
    versions: versionRepository(db),
    tags: tagRepository(db),
    teams: teamRepository(db),
    tokens: tokenRepository(db),
    users: userRepository(db),
    mirror: mirrorRepository(db),
    npmTarballs: npmTarballRepository(db),
    objects: objectReferenceRepository(db),
    search: searchRepository(db),
  };
}

export function createUnitOfWork(db: Kysely<Database>): UnitOfWork {
  return {
    transaction: (work) => db.transaction().execute((tx) => work(createRepositories(tx))),
  };
}
