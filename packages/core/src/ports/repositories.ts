import type { AdvisoryRepository } from './advisories.ts';
import type { AuditRepository } from './audit.ts';
import type { DownloadRepository } from './downloads.ts';
import type { FederationRepository } from './federation.ts';
import type { HostKeyRepository } from './host-keys.ts';
import type { JobRepository } from './jobs.ts';
import type { MirrorRepository } from './mirror.ts';
import type { NamespaceRepository } from './namespaces.ts';
import type { NpmTarballRepository } from './npm-tarballs.ts';
import type { ObjectReferenceRepository } from './objects.ts';
import type { OrgTeamRepository } from './org-teams.ts';
import type { PackageRepository } from './packages.ts';
import type { SearchRepository } from './search.ts';
import type { SecurityRepository } from './security.ts';
import type { TagRepository } from './tags.ts';
import type { TeamRepository } from './teams.ts';
import type { TokenRepository } from './tokens.ts';
import type { AttestationRepository, TrustedPublisherRepository } from './trusted-publishers.ts';
import type { UserRepository } from './users.ts';
import type { VersionRepository } from './versions.ts';

/**
 * Every table the domain touches, behind one interface per aggregate. The db workspace implements
 * them (`createRepositories`); a test suite in `packages/db/test` runs them on PGlite and PostgreSQL.
 */
export interface Repositories {
  namespaces: NamespaceRepository;
  packages: PackageRepository;
  versions: VersionRepository;
  tags: TagRepository;
  teams: TeamRepository;
  /** teams inside a namespace and their grants (issue 9.5) */
  orgTeams: OrgTeamRepository;
  tokens: TokenRepository;
  users: UserRepository;
  mirror: MirrorRepository;
  npmTarballs: NpmTarballRepository;
  objects: ObjectReferenceRepository;
  search: SearchRepository;
  /** the durable job queue: enqueue in the transaction of the change that needs the job */
  jobs: JobRepository;
  downloads: DownloadRepository;
  /** this host's signing keys (federation, npm registry signatures) */
  hostKeys: HostKeyRepository;
  /** peers' pinned keys and the first integrity seen for each remote version (issue 15.3) */
  federation: FederationRepository;
  /** second factors (TOTP, recovery codes, passkeys) and namespaces' second-factor requirement */
  security: SecurityRepository;
  /** the append-only audit log */
  audit: AuditRepository;
  /** the CI identities allowed to publish each package (issue 10.2) */
  trustedPublishers: TrustedPublisherRepository;
  /** Sigstore bundles stored with versions (issue 10.3) */
  attestations: AttestationRepository;
  /** security advisories of local packages (issue 10.4) */
  advisories: AdvisoryRepository;
}

/** A transaction: the repositories handed to `work` all act in it; it commits when `work` resolves. */
export interface UnitOfWork {
  transaction<T>(work: (repos: Repositories) => Promise<T>): Promise<T>;
}
