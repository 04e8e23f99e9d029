import type { Repositories } from './ports/repositories.ts';
import type { TokenScope } from './ports/tokens.ts';
import type { TrustedIdentity } from './ports/trusted-publishers.ts';

/** Who is asking: a signed-in user (through a token or a website session), or nobody. */
export interface Principal {
  userId: number;
  username: string;
  /** 'session' for the website (full rights), else the token's scope */
  scope: TokenScope | 'session';
  tokenId?: string;
  /**
   * A granular token's limits (issue 9.3): it acts only on these namespaces (every package in
   * them) and packages (`ns/name`) of this registry. Absent: no limit. authorize.ts applies them.
   */
  limits?: { namespaces: readonly string[]; packages: readonly string[] };
  /** an automation (CI) token: skips the interactive second factor (issue 10), nothing else */
  automation?: boolean;
  /**
   * A one-time password the request presented (npm's `npm-otp` header, `ds --otp`). The access
   * module checks it, once per request, only when a write needs a second factor.
   */
  otp?: PresentedOtp;
  /** a website session signed in (or enrolled) with a second factor */
  secondFactor?: boolean;
  /** the client address (with TRUST_PROXY, the forwarded one): the audit log records it */
  address?: string;
  /**
   * A trusted-publishing token (issue 10.2): the CI identity it was exchanged for. Such a token
   * only publishes new versions of its one package (authorize.ts); the version records the identity.
   */
  trustedPublisher?: TrustedIdentity;
}

/**
 * A presented one-time password; `verify` answers the same for the whole request (a code is spent
 * once). It runs on the caller's repositories: inside the write's transaction when there is one.
 */
export interface PresentedOtp {
  verify(repos: Repositories): Promise<boolean>;
}

/** What a system principal may do, named explicitly: it holds no user's rights. */
export type SystemCapability = 'mirror-legacy';

/** The registry itself acting (the `legacy` mirror storing upstream versions), never a user. */
export interface SystemPrincipal {
  kind: 'system';
  capability: SystemCapability;
}

/** Whoever a write is made by: a user, or the registry with one capability. */
export type Actor = Principal | SystemPrincipal;

export function isSystemPrincipal(actor: Actor | undefined): actor is SystemPrincipal {
  return actor !== undefined && 'kind' in actor && actor.kind === 'system';
}

/** The principal the `legacy` read-through mirror writes as. */
export const LEGACY_MIRROR_PRINCIPAL: SystemPrincipal = Object.freeze({ kind: 'system', capability: 'mirror-legacy' });
