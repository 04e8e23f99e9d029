import type { PackageRef } from './records.ts';

/**
 * What the domain says happened, after the change is committed. Caches subscribe to these
 * (no route or page invalidates a cache by hand); the job queue will subscribe to the same.
 */
export type DomainEvent =
  /** anything that changes how a package reads: created, tags, yanks, maintainers, abandon, mirror refresh */
  | { type: 'package-changed'; ref: PackageRef }
  /** `dependsOn`: the version's run-time dependencies (their pages list it as a dependent) */
  | { type: 'version-published'; ref: PackageRef; version: string; dependsOn: readonly PackageRef[] }
  /** a package or namespace was made private or public: object read verdicts must be asked again */
  | { type: 'visibility-changed' }
  /** a bearer token stopped being valid: `hash` is the sha256 the token cache is keyed by */
  | { type: 'token-revoked'; hash: string };

export type DomainEventListener = (event: DomainEvent) => void | Promise<void>;

export interface EventBus {
  /** Runs every listener and waits for them, so a read after the write sees the change. */
  emit(event: DomainEvent): Promise<void>;
  /** Returns the unsubscribe function. */
  subscribe(listener: DomainEventListener): () => void;
}
