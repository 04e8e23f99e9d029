import { type Clock, type Repositories, systemClock, type UnitOfWork } from '@entropic/core';
import type { Kysely } from 'kysely';
import type { Database } from '../schema.ts';
import { advisoryRepository } from './advisories.ts';
import { auditRepository } from './audit.ts';
import { downloadRepository } from './downloads.ts';
import type { Executor } from './executor.ts';
import { federationRepository } from './federation.ts';
import { hostKeyRepository } from './host-keys.ts';
import { jobRepository } from './jobs.ts';
import { mirrorRepository } from './mirror.ts';
import { namespaceRepository } from './namespaces.ts';
import { npmTarballRepository } from './npm-tarballs.ts';
import { objectReferenceRepository } from './objects.ts';
import { orgTeamRepository } from './org-teams.ts';
import { packageRepository } from './packages.ts';
import { searchRepository } from './search.ts';
import { securityRepository } from './security.ts';
import { tagRepository } from './tags.ts';
import { teamRepository } from './teams.ts';
import { tokenRepository } from './tokens.ts';
import { attestationRepository, trustedPublisherRepository } from './trusted-publishers.ts';
import { userRepository } from './users.ts';
import { versionRepository } from './versions.ts';

export interface RepositoryOptions {
  /** the time jobs are enqueued and retried at (default: the system clock) */
  clock?: Clock;
  /** told when jobs were enqueued and committed (a worker in this process looks for them at once) */
  onJobsEnqueued?: () => void;
}

/** The SQL behind every port of `core/src/ports`, on the database or on one transaction. */
export function createRepositories(db: Executor, options: RepositoryOptions = {}): Repositories {
  return {
    namespaces: namespaceRepository(db),
    packages: packageRepository(db),
    versions: versionRepository(db),
    tags: tagRepository(db),
    teams: teamRepository(db),
    orgTeams: orgTeamRepository(db),
    tokens: tokenRepository(db),
    users: userRepository(db),
    mirror: mirrorRepository(db),
    npmTarballs: npmTarballRepository(db),
    objects: objectReferenceRepository(db),
    search: searchRepository(db),
    jobs: jobRepository(db, options.clock ?? systemClock, options.onJobsEnqueued ?? (() => {})),
    downloads: downloadRepository(db),
    hostKeys: hostKeyRepository(db),
    federation: federationRepository(db),
    security: securityRepository(db),
    audit: auditRepository(db),
    trustedPublishers: trustedPublisherRepository(db),
    attestations: attestationRepository(db),
    advisories: advisoryRepository(db),
  };
}

export function createUnitOfWork(db: Kysely<Database>, options: RepositoryOptions = {}): UnitOfWork {
  return {
    async transaction(work) {
      let enqueued = false;
      const txOptions = { clock: options.clock ?? systemClock, onJobsEnqueued: () => (enqueued = true) };
      const result = await db.transaction().execute((tx) => work(createRepositories(tx, txOptions)));
      // Only now may another worker see the jobs: tell this process's worker after the commit.
      if (enqueued) options.onJobsEnqueued?.();
      return result;
    },
  };
}
