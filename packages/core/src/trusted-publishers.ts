import { appError, formatPackageName, LEGACY, truncate } from '@entropic/types';
import { packageSubject, recordAudit } from './audit-log.ts';
import { assertLocal, assertMayManageTrustedPublishers, assertMayViewTrustedPublishers, isMaintainer } from './authorize.ts';
import type { CoreDeps } from './deps.ts';
import { getPackage, type PackageRef } from './packages.ts';
import type { AttestationVerification, TrustedIdentity, TrustedPublisherRow } from './ports/trusted-publishers.ts';
import type { Principal } from './principal.ts';
import { newTokenValue } from './tokens.ts';

/**
 * Trusted publishing (issue 10.2, docs/npm.md): a package names CI identities — an OpenID Connect
 * issuer plus claims the id token must carry with exactly those values — allowed to publish it.
 * CI exchanges a verified id token (the HTTP edge checks its signature against the issuer's keys,
 * its audience and expiry) for a short-lived token that publishes only that package.
 */

export interface TrustedPublisherInfo {
  id: string;
  issuer: string;
  claims: Record<string, string>;
  /** the maintainer who added it: the exchanged tokens act with their rights */
  createdBy: string;
  created: string;
}

/**
 * A trusted publisher must pin at least one of these (a repository, a project or the subject):
 * an issuer alone, or claims like `ref` alone, would let any repository of that CI publish.
 */
export const IDENTIFYING_CLAIMS = ['sub', 'repository', 'repository_id', 'project_path', 'project_id'] as const;

/** Claims a version records of the identity that published it (what a reader wants to trace it back), when present. */
const RECORDED_CLAIMS = [
  'sub',
  'repository',
  'repository_id',
  'repository_owner',
  'workflow',
  'workflow_ref',
  'job_workflow_ref',
  'environment',
  'ref',
  'sha',
  'run_id',
  'run_attempt',
  'event_name',
  'project_path',
  'project_id',
  'pipeline_id',
  'ci_config_ref_uri',
] as const;

const MAX_CLAIMS = 10;
const MAX_PUBLISHERS = 20;
const CLAIM_NAME_RE = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
const MAX_CLAIM_VALUE = 400;

function toInfo(row: TrustedPublisherRow): TrustedPublisherInfo {
  return { id: row.id, issuer: row.issuer, claims: row.claims, createdBy: row.created_by_name, created: row.created_at.toISOString() };
}

/** `https://host[:port][/path]` without a trailing slash: how issuers are compared (the `iss` claim is exact). */
export function parseIssuer(raw: unknown): string {
  if (typeof raw !== 'string' || raw.length === 0 || raw.length > 300) throw appError('INVALID_FIELD', 'The issuer must be a URL.');
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw appError('INVALID_FIELD', `The issuer "${truncate(raw)}" is not a URL.`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw appError('INVALID_FIELD', 'The issuer must be an https URL.');
  if (url.search || url.hash || url.username) throw appError('INVALID_FIELD', 'The issuer must not carry a query, fragment or user.');
  return raw.replace(/\/+$/, '');
}

function parseClaims(raw: unknown): Record<string, string> {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw appError('INVALID_FIELD', '"claims" must be an object of claim names and exact string values.');
  }
  const entries = Object.entries(raw as Record<string, unknown>);
  if (entries.length === 0 || entries.length > MAX_CLAIMS) throw appError('INVALID_FIELD', `Name 1–${MAX_CLAIMS} claims.`);
  const claims: Record<string, string> = {};
  for (const [name, value] of entries) {
    if (!CLAIM_NAME_RE.test(name)) throw appError('INVALID_FIELD', `"${truncate(name)}" is not a claim name.`);
    if (name === 'iss' || name === 'aud' || name === 'exp' || name === 'iat' || name === 'nbf' || name === 'jti') {
      throw appError('INVALID_FIELD', `"${name}" is checked by the registry itself; name identity claims such as repository or workflow.`);
    }
    if (typeof value !== 'string' || value.length === 0 || value.length > MAX_CLAIM_VALUE) {
      throw appError('INVALID_FIELD', `The claim "${name}" needs a string value of 1–${MAX_CLAIM_VALUE} characters.`);
    }
    claims[name] = value;
  }
  if (!IDENTIFYING_CLAIMS.some((name) => name in claims)) {
    throw appError('INVALID_FIELD', `A trusted publisher must name at least one of ${IDENTIFYING_CLAIMS.join(', ')}.`, {
      hint: 'For GitHub Actions: {"repository": "owner/repo", "workflow_ref": "owner/repo/.github/workflows/release.yml@refs/heads/main"}.',
    });
  }
  return claims;
}

async function localPackage(deps: CoreDeps, ref: PackageRef) {
  assertLocal(ref, deps.host);
  if (ref.namespace === LEGACY) throw appError('FORBIDDEN', 'Packages of the legacy mirror are not published here.');
  return getPackage(deps.repos, ref, deps.host);
}

export async function listTrustedPublishers(
  deps: CoreDeps,
  input: { principal: Principal | undefined; ref: PackageRef },
): Promise<TrustedPublisherInfo[]> {
  const pkg = await localPackage(deps, input.ref);
  await assertMayViewTrustedPublishers(deps.repos, input.principal, { id: pkg.id, fullName: formatPackageName(input.ref) });
  return (await deps.repos.trustedPublishers.listByPackage(pkg.id)).map(toInfo);
}

export interface AddTrustedPublisherInput {
  principal: Principal | undefined;
  ref: PackageRef;
  issuer: unknown;
  claims: unknown;
  /** the issuers this registry trusts (TRUSTED_PUBLISHING_ISSUERS) */
  allowedIssuers: readonly string[];
}

export async function addTrustedPublisher(deps: CoreDeps, input: AddTrustedPublisherInput): Promise<TrustedPublisherInfo> {
  const issuer = parseIssuer(input.issuer);
  if (!input.allowedIssuers.includes(issuer)) {
    throw appError('INVALID_FIELD', `This registry does not trust the issuer "${truncate(issuer)}".`, {
      hint: `Trusted issuers: ${input.allowedIssuers.join(', ') || 'none (TRUSTED_PUBLISHING_ISSUERS is empty)'}.`,
    });
  }
  const claims = parseClaims(input.claims);
  const pkg = await localPackage(deps, input.ref);
  return deps.uow.transaction(async (repos) => {
    const p = await assertMayManageTrustedPublishers(repos, input.principal, {
      id: pkg.id,
      fullName: formatPackageName(input.ref),
      namespaceId: pkg.namespace_id,
    });
    const existing = await repos.trustedPublishers.listByPackage(pkg.id);
    if (existing.length >= MAX_PUBLISHERS)
      throw appError('INVALID_FIELD', `A package can have at most ${MAX_PUBLISHERS} trusted publishers.`);
    const row = await repos.trustedPublishers.insert({ packageId: pkg.id, issuer, claims, createdBy: p.userId });
    await recordAudit(repos, deps.clock.now(), p, 'trusted-publisher-added', packageSubject(input.ref, { id: row.id, issuer, claims }));
    return toInfo(row);
  });
}

export async function removeTrustedPublisher(
  deps: CoreDeps,
  input: { principal: Principal | undefined; ref: PackageRef; id: string },
): Promise<void> {
  const pkg = await localPackage(deps, input.ref);
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(input.id)) throw appError('TRUSTED_PUBLISHER_NOT_FOUND');
  const hashes = await deps.uow.transaction(async (repos) => {
    const p = await assertMayManageTrustedPublishers(repos, input.principal, {
      id: pkg.id,
      fullName: formatPackageName(input.ref),
      namespaceId: pkg.namespace_id,
    });
    const removed = await repos.trustedPublishers.remove(pkg.id, input.id);
    if (!removed) throw appError('TRUSTED_PUBLISHER_NOT_FOUND');
    await recordAudit(repos, deps.clock.now(), p, 'trusted-publisher-removed', packageSubject(input.ref, { id: input.id }));
    return removed;
  });
  // the tokens exchanged for it are gone from the database; the token caches forget them too
  for (const hash of hashes) await deps.events.emit({ type: 'token-revoked', hash });
}

/** An id token whose signature, issuer, audience and expiry the edge has verified. */
export interface VerifiedIdToken {
  issuer: string;
  claims: Record<string, unknown>;
  /** when it expires: a replay of it is refused until then */
  expiresAt: Date;
}

export interface ExchangeIdTokenInput {
  ref: PackageRef;
  idToken: VerifiedIdToken;
  /** how long the minted token lives */
  ttlSeconds: number;
  /** the client address (the audit log records it) */
  address?: string | undefined;
}

function claimText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return undefined;
}

function matches(publisher: TrustedPublisherRow, token: VerifiedIdToken): boolean {
  if (publisher.issuer !== token.issuer) return false;
  return Object.entries(publisher.claims).every(([name, value]) => claimText(token.claims[name]) === value);
}

/**
 * Exchanges a verified id token for a token that publishes only this package, for `ttlSeconds`,
 * acting with the rights of the maintainer who added the matching trusted publisher (who must
 * still be one). An id token is exchanged once per package (its `jti`, until it expires).
 */
export async function exchangeIdToken(deps: CoreDeps, input: ExchangeIdTokenInput): Promise<{ token: string; expires: string }> {
  const { ref, idToken } = input;
  const name = formatPackageName(ref);
  const pkg = await localPackage(deps, ref);
  if (pkg.yanked) throw appError('PACKAGE_ABANDONED', `"${name}" has been abandoned; publish under a new name.`);
  const publishers = await deps.repos.trustedPublishers.listByPackage(pkg.id);
  const publisher = publishers.find((p) => matches(p, idToken));
  if (!publisher) {
    throw appError('TRUSTED_PUBLISHER_MISMATCH', `No trusted publisher of "${name}" matches this identity.`, {
      hint: "Compare the package's trusted publishers (issuer and claims) with the claims of the CI's id token.",
    });
  }
  if (!(await isMaintainer(deps.repos, publisher.created_by, pkg.id))) {
    throw appError(
      'TRUSTED_PUBLISHER_MISMATCH',
      `The trusted publisher of "${name}" was added by ${publisher.created_by_name}, who is no longer a maintainer.`,
      {
        hint: 'A maintainer adds the trusted publisher again.',
      },
    );
  }
  const now = deps.clock.now();
  const jti = claimText(idToken.claims.jti);
  if (jti) {
    const ttlSeconds = Math.max(1, Math.ceil((idToken.expiresAt.getTime() - now.getTime()) / 1000));
    const key = `oidc-jti:${idToken.issuer}:${jti.slice(0, 200)}:${pkg.id}`;
    if (!(await deps.kv.setIfAbsent(key, '1', { ttlSeconds }))) {
      throw appError('OIDC_TOKEN_INVALID', 'This id token was already exchanged for this package; request a new one.');
    }
  }
  const claims: Record<string, string> = {};
  for (const claim of new Set([...RECORDED_CLAIMS, ...Object.keys(publisher.claims)])) {
    const text = claimText(idToken.claims[claim]);
    if (text !== undefined) claims[claim] = text.slice(0, MAX_CLAIM_VALUE);
  }
  const identity: TrustedIdentity = { publisherId: publisher.id, issuer: publisher.issuer, claims };
  const { token, hash, prefix } = newTokenValue();
  const expiresAt = new Date(now.getTime() + input.ttlSeconds * 1000);
  const label = claims.repository ?? claims.project_path ?? claims.sub ?? publisher.issuer;
  const actor: Principal = {
    userId: publisher.created_by,
    username: publisher.created_by_name,
    scope: 'publish',
    trustedPublisher: identity,
    ...(input.address ? { address: input.address } : {}),
  };
  await deps.uow.transaction(async (repos) => {
    await repos.tokens.insert({
      userId: publisher.created_by,
      hash,
      prefix,
      description: truncate(`trusted publishing: ${label}`, 200),
      scope: 'publish',
      expiresAt,
      namespaces: [],
      packages: [`${ref.namespace}/${ref.name}`],
      cidrs: [],
      automation: true,
      trustedIdentity: identity,
    });
    await recordAudit(
      repos,
      now,
      actor,
      'trusted-publisher-exchange',
      packageSubject(ref, { ...identity, expires: expiresAt.toISOString() }),
    );
  });
  return { token, expires: expiresAt.toISOString() };
}

/** What the website shows of how a version was published: the CI identity and the attestations (issue 10.2, 10.3). */
export async function getVersionSupplyChain(
  deps: CoreDeps,
  input: { ref: PackageRef; version: string },
): Promise<{
  publishedBy: TrustedIdentity | undefined;
  attestations: Array<{ predicateType: string; verification: AttestationVerification }>;
}> {
  const pkg = await getPackage(deps.repos, input.ref, deps.host);
  const row = await deps.repos.versions.find(pkg.id, input.version);
  if (!row) return { publishedBy: undefined, attestations: [] };
  const attestations = await deps.repos.attestations.listByVersion(row.id);
  return {
    publishedBy: row.published_by ?? undefined,
    attestations: attestations.map((a) => ({ predicateType: a.predicate_type, verification: a.verification })),
  };
}
