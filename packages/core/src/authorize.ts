import { appError, formatPackageName, type Host, LEGACY, type NamespaceRef } from '@entropic/types';
import { type NamespaceRow, namespaceNotFound, storedHost } from './namespaces.ts';
import type { TeamPermission } from './ports/org-teams.ts';
import type { PackageRef, PackageRow } from './ports/records.ts';
import type { Repositories } from './ports/repositories.ts';
import { type Actor, isSystemPrincipal, type Principal, type SystemCapability, type SystemPrincipal } from './principal.ts';

/**
 * The one place that answers "may this principal do that". Every route that changes something
 * goes through one of these, inside the transaction that does the change.
 */
export function requireSignedIn(principal: Principal | undefined, message = 'You must be signed in to do that.'): Principal {
  if (!principal) {
    // the HTTP edge adds `WWW-Authenticate: Bearer` for this code
    throw appError('UNAUTHENTICATED', message, {
      hint: 'Send "Authorization: Bearer ent_v1_…" with a token from the website or `npm run admin -- token create`.',
    });
  }
  return principal;
}

/**
 * Writes need a publish-scoped token (or a website session). A trusted-publishing token (issue
 * 10.2) only publishes new versions: every other write refuses it; publishing says `publish`.
 */
export function requireWriter(principal: Principal | undefined, options: { publish?: boolean } = {}): Principal {
  const p = requireSignedIn(principal);
  if (p.scope === 'read') throw appError('INSUFFICIENT_SCOPE', 'This token is read-only; use a token with the publish scope.');
  if (p.trustedPublisher && !options.publish) {
    throw appError('INSUFFICIENT_SCOPE', 'A trusted-publishing token can only publish new versions of its package.');
  }
  return p;
}

/** Token policy: seeing one's own tokens takes any signed-in principal (a read-only token too). */
export function assertMayListTokens(principal: Principal | undefined): Principal {
  return requireSignedIn(principal);
}

/**
 * Token policy: minting or revoking tokens takes an unlimited publish-scoped token or a website
 * session, so a read-only or limited token never mints a broader one.
 */
export function assertMayManageTokens(principal: Principal | undefined): Principal {
  return requireUnlimitedWriter(principal, 'manage tokens');
}

/**
 * Granular tokens (issue 9.3). A token limited to namespaces and packages acts only on those:
 * a package is covered when it is named, or its namespace is. Sessions and unlimited tokens
 * cover everything. Reads use tokenCoversPackage (an uncovered private package reads as
 * absent); writes throw INSUFFICIENT_SCOPE.
 */
export function tokenCoversPackage(principal: Principal | undefined, ref: { namespace: string; name: string }): boolean {
  const limits = principal?.limits;
  if (!limits) return true;
  return limits.namespaces.includes(ref.namespace) || limits.packages.includes(`${ref.namespace}/${ref.name}`);
}

/** Namespace-level actions (members, maintainerships, teams) need the namespace itself named. */
export function tokenCoversNamespace(principal: Principal | undefined, namespace: string): boolean {
  const limits = principal?.limits;
  return !limits || limits.namespaces.includes(namespace);
}

function assertTokenCoversPackage(principal: Principal, ref: { namespace: string; name: string }): void {
  if (!tokenCoversPackage(principal, ref)) {
    throw appError('INSUFFICIENT_SCOPE', `This token is limited to other packages than "${ref.namespace}/${ref.name}".`);
  }
}

/** `name` or `name@host` (a namespace's label) → `name`. */
function namespaceNameOf(label: string): string {
  return label.split('@')[0] as string;
}

function assertTokenCoversNamespace(principal: Principal, label: string): void {
  const name = namespaceNameOf(label);
  if (!tokenCoversNamespace(principal, name)) {
    throw appError('INSUFFICIENT_SCOPE', `This token is limited to other namespaces than "${name}".`);
  }
}

/** `ns@host/name` (formatPackageName) → the namespace and the decoded name. */
function packageOfFullName(fullName: string): { namespace: string; name: string } {
  const slash = fullName.indexOf('/');
  return { namespace: namespaceNameOf(fullName.slice(0, slash)), name: decodeURIComponent(fullName.slice(slash + 1)) };
}

/** Account-wide actions (tokens, organisations, answering invitations) take a writer whose token is not limited. */
export function requireUnlimitedWriter(principal: Principal | undefined, what: string): Principal {
  const p = requireWriter(principal);
  if (p.limits) throw appError('INSUFFICIENT_SCOPE', `This token is limited to some namespaces or packages; it cannot ${what}.`);
  return p;
}

/**
 * Website pages of an account (tokens, CLI login confirmation, namespace management) need a
 * website session: a bearer token is not a browser sign-in. UNAUTHENTICATED becomes a redirect to
 * /www/login for a GET, or a 401 page.
 */
export function requireWebsiteSession(principal: Principal | undefined): Principal {
  if (principal?.scope !== 'session') throw appError('UNAUTHENTICATED', 'Sign in to see this page.');
  return principal;
}

/** What read access is decided on: the package's id and whether it is private (its own flag or its namespace's). */
export interface ReadablePackage {
  id: number;
  private: boolean;
}

/**
 * A memo of the database's answers to "is this user a maintainer of, or granted by a team, this
 * private package" (docs/decisions/grant-cache.md), so a member's read of a private package asks
 * nothing. Every change to members, maintainers, teams or grants moves the registry's access epoch
 * once committed and before it answers; `begin` reads the epoch as of now and answers only what was
 * asked of the database within it, so a revocation that has answered is never served from before.
 * Writes never use it (they ask inside their transaction).
 */
export interface GrantCache {
  /** What is known as of now; undefined when the epoch cannot be read (then the database is asked). */
  begin(): Promise<GrantSnapshot | undefined>;
}

export interface GrantSnapshot {
  /** true: maintained or team-granted; false: neither; undefined: not known in this epoch */
  get(userId: number, packageId: number): boolean | undefined;
  /** remembers an answer the database gave after `begin` (dropped when the epoch moved meanwhile) */
  set(userId: number, packageId: number, open: boolean): void;
  /** a local package's namespace and name (they never change), for granular tokens' limits */
  nameOf(packageId: number): { namespace: string; name: string } | undefined;
  setName(packageId: number, ref: { namespace: string; name: string }): void;
}

/**
 * Reading a package (its documents, versions, tags, files, npm packument and tarballs, download
 * counts, its place in listings and search): everyone may read a public package; a private one
 * (issue 9) takes an accepted member of an accepted maintainer namespace of it, or a member of
 * a team granted read or write on it, with any token scope or a website session. The one read predicate: every read route, listing, search and
 * object read asks here (one query for all the private packages of a listing, none when `grants`
 * knows them). A principal without read access is answered as if the package did not exist (the
 * routes' job).
 */
export async function listReadablePackages(
  repos: Repositories,
  principal: Principal | undefined,
  pkgs: readonly ReadablePackage[],
  grants?: GrantCache,
): Promise<Set<number>> {
  const readable = new Set(pkgs.filter((pkg) => !pkg.private).map((pkg) => pkg.id));
  const closed = pkgs.filter((pkg) => pkg.private).map((pkg) => pkg.id);
  if (closed.length === 0 || !principal) return readable;
  const snapshot = grants ? await grants.begin() : undefined;
  const open = new Set<number>();
  const unknown: number[] = [];
  for (const id of closed) {
    const known = snapshot?.get(principal.userId, id);
    if (known === undefined) unknown.push(id);
    else if (known) open.add(id);
  }
  if (unknown.length > 0) {
    const [maintained, granted] = await Promise.all([
      repos.teams.listMaintainedAmong(principal.userId, unknown),
      // a team granted read or write on the package or its whole namespace (issue 9.5)
      teamPermissions(repos, principal, unknown),
    ]);
    const fresh = new Set([...maintained, ...granted.keys()]);
    for (const id of unknown) {
      snapshot?.set(principal.userId, id, fresh.has(id));
      if (fresh.has(id)) open.add(id);
    }
  }
  if (principal.limits && open.size > 0) {
    // a granular token reads a private package only within its limits (docs/tokens.md)
    const names = new Map<number, { namespace: string; name: string }>();
    const unnamed: number[] = [];
    for (const id of open) {
      const known = snapshot?.nameOf(id);
      if (known) names.set(id, known);
      else unnamed.push(id);
    }
    if (unnamed.length > 0) {
      for (const pkg of await repos.packages.localNamesOf(unnamed)) {
        names.set(pkg.id, pkg);
        snapshot?.setName(pkg.id, { namespace: pkg.namespace, name: pkg.name });
      }
    }
    for (const [id, ref] of names) if (!tokenCoversPackage(principal, ref)) open.delete(id);
  }
  for (const id of open) readable.add(id);
  return readable;
}

export async function mayReadPackage(
  repos: Repositories,
  principal: Principal | undefined,
  pkg: ReadablePackage,
  grants?: GrantCache,
): Promise<boolean> {
  if (!pkg.private) return true;
  return (await listReadablePackages(repos, principal, [pkg], grants)).has(pkg.id);
}

/**
 * Reading an object by its hash (docs/decisions/private-objects.md): an object that some public
 * package references, or that no package references (yet), is public; one referenced by private
 * packages only takes read access to one of them. One indexed query (object_references), and the
 * grants when only private packages reference it.
 */
export async function mayReadObject(
  repos: Repositories,
  principal: Principal | undefined,
  integrity: string,
  grants?: GrantCache,
): Promise<ObjectAccess> {
  return objectAccess(repos, principal, await repos.objects.listReferencingPackages(integrity), grants);
}

/** mayReadObject for an object whose referencing packages are known (`referencing`). */
export async function objectAccess(
  repos: Repositories,
  principal: Principal | undefined,
  referencing: readonly ReadablePackage[],
  grants?: GrantCache,
): Promise<ObjectAccess> {
  if (referencing.length === 0) return 'unreferenced';
  if (referencing.some((pkg) => !pkg.private)) return 'public';
  return (await listReadablePackages(repos, principal, referencing, grants)).size > 0 ? 'private' : 'denied';
}

/**
 * `public`: a public package references it (it stays public until a package is made private);
 * `unreferenced`: nothing references it yet (a publish in progress) or any more, readable as
 * public; `private`: only private packages reference it and the principal may read one of them;
 * `denied`: only private packages the principal may not read reference it.
 */
export type ObjectAccess = 'public' | 'unreferenced' | 'private' | 'denied';

/**
 * Making a package private or public: a maintainer of it (publish scope or a session); a
 * namespace: an accepted member of it. Private only exists on this registry's own namespaces.
 */
export async function assertMaySetPackageVisibility(
  repos: Repositories,
  principal: Principal | undefined,
  pkg: { id: number; fullName: string; namespaceId: number },
): Promise<Principal> {
  const p = requireWriter(principal);
  await assertMaintainer(repos, p, pkg);
  await assertSecondFactor(repos, p, pkg.namespaceId);
  return p;
}

export async function assertMaySetNamespaceVisibility(
  repos: Repositories,
  principal: Principal | undefined,
  namespace: NamespaceRow,
): Promise<Principal> {
  const p = requireWriter(principal);
  if (namespace.kind === 'system') throw appError('SYSTEM_NAMESPACE', `"${namespace.name}" is a system namespace.`);
  await assertMemberOf(repos, p, namespace);
  await assertSecondFactor(repos, p, namespace.id);
  return p;
}

/** A namespace's release-age policy: as its visibility, an accepted member (with the second factor when required). */
export async function assertMaySetNamespaceReleaseAge(
  repos: Repositories,
  principal: Principal | undefined,
  namespace: NamespaceRow,
): Promise<Principal> {
  return assertMaySetNamespaceVisibility(repos, principal, namespace);
}

/** The one namespace each system capability may write to. */
const CAPABILITY_NAMESPACE: Record<SystemCapability, string> = { 'mirror-legacy': LEGACY };

/** A system principal writes only where its capability says: the mirror into the `legacy` system namespace. */
function assertSystemMayWrite(actor: SystemPrincipal, namespace: NamespaceRow, ref: PackageRef): void {
  if (namespace.kind !== 'system' || namespace.host !== null || namespace.name !== CAPABILITY_NAMESPACE[actor.capability]) {
    throw appError('FORBIDDEN', `The ${actor.capability} capability does not cover "${formatPackageName(ref)}".`);
  }
}

export async function isAcceptedMember(repos: Repositories, userId: number, namespaceId: number): Promise<boolean> {
  return repos.teams.isAcceptedMember(userId, namespaceId);
}

/** Accepted member of an accepted maintainer namespace of the package. */
export async function isMaintainer(repos: Repositories, userId: number, packageId: number): Promise<boolean> {
  return repos.teams.isMaintainer(userId, packageId);
}

export async function assertMemberOf(repos: Repositories, principal: Principal, namespace: { id: number; name: string }): Promise<void> {
  if (!(await isAcceptedMember(repos, principal.userId, namespace.id))) {
    throw appError('NOT_A_MEMBER', `You are not a member of "${namespace.name}".`);
  }
}

export async function assertMaintainer(repos: Repositories, principal: Principal, pkg: { id: number; fullName: string }): Promise<void> {
  if (!(await isMaintainer(repos, principal.userId, pkg.id))) {
    throw appError('NOT_A_MAINTAINER', `You are not a maintainer of "${pkg.fullName}".`);
  }
}

/** Teams (issue 4). Pending memberships and maintainerships grant nothing: every check wants `accepted`. */

/** Inviting a user into a namespace: an accepted member of it. */
export async function assertMayInviteMember(
  repos: Repositories,
  principal: Principal | undefined,
  namespace: { id: number; name: string },
) {
  const p = requireWriter(principal);
  assertTokenCoversNamespace(p, namespace.name);
  await assertMemberOf(repos, p, namespace);
  await assertSecondFactor(repos, p, namespace.id);
  return p;
}

/** Removing a member (or withdrawing an invitation): an accepted member, or the user themselves (leaving, declining). */
export async function assertMayRemoveMember(
  repos: Repositories,
  principal: Principal | undefined,
  namespace: { id: number; name: string },
  target: { id: number },
): Promise<Principal> {
  const p = requireWriter(principal);
  assertTokenCoversNamespace(p, namespace.name);
  if (p.userId !== target.id) await assertMemberOf(repos, p, namespace);
  await assertSecondFactor(repos, p, namespace.id);
  return p;
}

/** Seeing a user's pending invitations: that user only (any scope). */
export function assertMayViewInvitations(principal: Principal | undefined, username: string): Principal {
  const p = requireSignedIn(principal);
  if (p.username !== username) throw appError('NOT_YOUR_ACCOUNT', `Only ${username} can see their pending invitations.`);
  return p;
}

/** Accepting, declining or leaving a membership: that user only. */
export function assertMayAnswerMembership(principal: Principal | undefined, username: string): Principal {
  const p = requireUnlimitedWriter(principal, 'answer invitations');
  if (p.username !== username)
    throw appError('NOT_YOUR_ACCOUNT', `Only ${username} can answer their invitations or leave their namespaces.`);
  return p;
}

/**
 * Joining a namespace (accepting an invitation) or leaving it is a member change: it takes a
 * fresh second factor when the user's or the namespace's setting asks for one. Declining an
 * invitation changes nobody's rights and does not.
 */
export async function assertMayChangeOwnMembership(repos: Repositories, principal: Principal, namespace: { id: number }): Promise<void> {
  await assertSecondFactor(repos, principal, namespace.id);
}

/** Inviting or removing a maintainer namespace: a maintainer of the package. */
export async function assertMayManageMaintainers(
  repos: Repositories,
  principal: Principal | undefined,
  pkg: { id: number; fullName: string; namespaceId?: number },
): Promise<Principal> {
  const p = requireWriter(principal);
  assertTokenCoversPackage(p, packageOfFullName(pkg.fullName));
  await assertMaintainer(repos, p, pkg);
  await assertSecondFactor(repos, p, pkg.namespaceId);
  return p;
}

/**
 * Trusted publishers (issue 10.2): adding or removing one takes a maintainer of the package (a
 * token covering it, not a trusted-publishing token) with a fresh second factor when one is
 * required; seeing them, a maintainer with any scope.
 */
export async function assertMayManageTrustedPublishers(
  repos: Repositories,
  principal: Principal | undefined,
  pkg: { id: number; fullName: string; namespaceId?: number },
): Promise<Principal> {
  return assertMayManageMaintainers(repos, principal, pkg);
}

export async function assertMayViewTrustedPublishers(
  repos: Repositories,
  principal: Principal | undefined,
  pkg: { id: number; fullName: string },
): Promise<Principal> {
  const p = requireSignedIn(principal);
  assertTokenCoversPackage(p, packageOfFullName(pkg.fullName));
  await assertMaintainer(repos, p, pkg);
  return p;
}

/** Accepting, declining or ending a namespace's maintainership: an accepted member of that namespace. */
export async function assertMayActForNamespace(
  repos: Repositories,
  principal: Principal | undefined,
  namespace: { id: number; name: string },
): Promise<Principal> {
  const p = requireWriter(principal);
  assertTokenCoversNamespace(p, namespace.name);
  await assertMemberOf(repos, p, namespace);
  await assertSecondFactor(repos, p, namespace.id);
  return p;
}

/**
 * Second factors (issue 10). A write (publish, yank, tags, member and maintainer changes) needs a
 * fresh second factor when the user asked for it (TOTP "for writes") or the namespace it touches
 * requires one (`require_tfa`). A token request presents a one-time password (npm's `npm-otp`
 * header, `ds --otp`), checked and spent once; a website session counts when it was signed in (or
 * enrolled) with the second factor (a code or a passkey). Automation tokens skip the check. The
 * namespace requirement wants the user to have a second factor at all: without one (for token
 * writes, without an authenticator app, since passkeys need a browser), SECOND_FACTOR_REQUIRED.
 */
export async function assertSecondFactor(
  repos: Repositories,
  principal: Principal,
  namespaceId: number | undefined,
  /** the namespace's requirement, when the caller read it already (its row's `require_tfa`) */
  namespaceRequires?: boolean,
): Promise<void> {
  if (principal.automation === true) return;
  const factor = await repos.security.findSecondFactor(principal.userId);
  const enabled = factor?.enabledAt !== undefined;
  const userWants = enabled && factor?.forWrites === true;
  const namespaceWants =
    namespaceId !== undefined && (namespaceRequires ?? (await repos.security.namespaceRequiresSecondFactor(namespaceId)));
  if (!userWants && !namespaceWants) return;
  if (principal.scope === 'session') {
    // a website session signed in with a code or a passkey
    if (principal.secondFactor) return;
    if (!enabled && (await repos.security.listPasskeys(principal.userId)).length === 0) {
      throw appError('SECOND_FACTOR_REQUIRED', 'This namespace requires two-factor authentication for writes.', {
        hint: 'Add a passkey or an authenticator app at /www/account/security, then sign in again with it.',
      });
    }
    throw appError('OTP_REQUIRED', 'Sign out and in again with your second factor to do that.');
  }
  if (!enabled) {
    if ((await repos.security.listPasskeys(principal.userId)).length === 0) {
      throw appError('SECOND_FACTOR_REQUIRED', 'This namespace requires two-factor authentication for writes.', {
        hint: 'Add a passkey or an authenticator app at /www/account/security, or use an automation token in CI.',
      });
    }
    // passkeys only: the write is approved on the website (npm's web flow; the edge adds its URLs)
    if (!principal.otp) {
      throw appError('OTP_REQUIRED', 'Approve this write with your passkey on the website.', { details: { webApproval: true } });
    }
  }
  if (!principal.otp) throw appError('OTP_REQUIRED');
  if (!(await principal.otp.verify(repos))) throw appError('OTP_INVALID');
}

/** Turning a namespace's second-factor requirement on or off: an accepted member who has a second factor. */
export async function assertMaySetNamespaceSecondFactor(
  repos: Repositories,
  principal: Principal | undefined,
  namespace: { id: number; name: string },
): Promise<Principal> {
  const p = await assertMayActForNamespace(repos, principal, namespace);
  const factor = await repos.security.findSecondFactor(p.userId);
  if (factor?.enabledAt === undefined && (await repos.security.listPasskeys(p.userId)).length === 0) {
    throw appError('SECOND_FACTOR_REQUIRED', 'Turn on two-factor authentication for your own account first.', {
      hint: 'See /www/account/security.',
    });
  }
  return p;
}

/** A namespace's audit log: its accepted members (a user namespace: that user). */
export async function assertMayReadNamespaceAudit(
  repos: Repositories,
  principal: Principal | undefined,
  namespace: { id: number; name: string },
): Promise<Principal> {
  const p = requireSignedIn(principal);
  await assertMemberOf(repos, p, namespace);
  return p;
}

/** Writes are only accepted for this registry's own namespaces. */
export function assertLocal(ref: NamespaceRef, localHost: Host): void {
  if (ref.host !== localHost) {
    throw appError('REMOTE_HOST', `"${ref.namespace}@${ref.host}" belongs to another host; this registry is ${localHost}.`);
  }
}

/**
 * Who may write a package: for an existing package, an accepted member of an accepted
 * maintainer namespace; for a new one, an accepted member of the target namespace. A system
 * principal (the `legacy` mirror) may write only into the namespace of its capability.
 */
export async function authorizePackageWrite(
  repos: Repositories,
  principal: Actor | undefined,
  ref: PackageRef,
  localHost: Host,
  options: { changesNothing?: boolean; publish?: boolean } = {},
): Promise<{ namespace: NamespaceRow; pkg: PackageRow | undefined; principal: Actor }> {
  const p = isSystemPrincipal(principal) ? principal : requireWriter(principal, { publish: options.publish === true });
  assertLocal(ref, localHost);
  if (!isSystemPrincipal(p)) assertTokenCoversPackage(p, ref);
  // the namespace, its second-factor requirement and the package in one lookup
  const found = await repos.packages.findForWrite(ref.namespace, storedHost(ref, localHost), ref.name);
  if (!found) throw namespaceNotFound(ref);
  const { namespace, pkg } = found;
  // Abandonware has no members, so its former maintainers would only see NOT_A_MAINTAINER; say why.
  if (pkg?.yanked) throw appError('PACKAGE_ABANDONED', `"${formatPackageName(ref)}" has been abandoned; publish under a new name.`);
  if (isSystemPrincipal(p)) assertSystemMayWrite(p, namespace, ref);
  else if (pkg) {
    // a private package an outsider may not read is answered as one that does not exist would be
    if (pkg.private && !(await mayReadPackage(repos, p, pkg))) await assertMayCreateIn(repos, p, namespace);
    // a maintainer, or a member of a team granted write on it (issue 9.5)
    if (!(await isMaintainer(repos, p.userId, pkg.id)) && (await teamPermissions(repos, p, [pkg.id])).get(pkg.id) !== 'write') {
      throw appError('NOT_A_MAINTAINER', `You are not a maintainer of "${formatPackageName(ref)}".`);
    }
  } else await assertMayCreateIn(repos, p, namespace);
  // a request that changes nothing (npm's tarball DELETE after an unpublish, sent with the same
  // code as the unpublish itself) does not spend a second factor
  if (!isSystemPrincipal(p) && !options.changesNothing) await assertSecondFactor(repos, p, namespace.id, namespace.require_tfa);
  return { namespace, pkg, principal: p };
}

/** A new package: an accepted member of the namespace, or a member of a team granted write on all of it. */
async function assertMayCreateIn(repos: Repositories, p: Principal, namespace: NamespaceRow): Promise<void> {
  if (!(await isAcceptedMember(repos, p.userId, namespace.id)) && !(await repos.orgTeams.mayWriteNamespace(p.userId, namespace.id))) {
    throw appError('NOT_A_MEMBER', `You are not a member of "${namespace.name}".`);
  }
}

/**
 * Teams (issue 9.5): what the principal's teams grant on each package ('read' or 'write'),
 * within what its token covers. The read predicate and package writes both ask here.
 */
export async function teamPermissions(
  repos: Repositories,
  principal: Principal | undefined,
  packageIds: readonly number[],
): Promise<Map<number, TeamPermission>> {
  if (!principal || packageIds.length === 0) return new Map();
  return repos.orgTeams.permissionsFor(principal.userId, packageIds);
}

/** Creating, deleting and changing a namespace's teams and their grants: an accepted member, with a token covering the namespace. */
export async function assertMayManageTeams(
  repos: Repositories,
  principal: Principal | undefined,
  namespace: { id: number; name: string },
): Promise<Principal> {
  return assertMayActForNamespace(repos, principal, namespace);
}

/** Seeing a namespace's teams, their members and grants: an accepted member (any scope). */
export async function assertMayViewTeams(
  repos: Repositories,
  principal: Principal | undefined,
  namespace: { id: number; name: string },
): Promise<Principal> {
  const p = requireSignedIn(principal);
  assertTokenCoversNamespace(p, namespace.name);
  await assertMemberOf(repos, p, namespace);
  return p;
}
