import type { EventBus } from '@entropic/core';
import { LEGACY } from '@entropic/types';
import type { PackageNameIndex } from './package-name-index.ts';
import type { PublicObjectCache } from './public-object-cache.ts';
import type { ResponseCache } from './response-cache.ts';
import { packageGroup } from './routes/refs.ts';
import type { TokenCache } from './token-cache.ts';

export interface Caches {
  responseCache: ResponseCache;
  tokenCache: TokenCache;
  packageNames: PackageNameIndex;
  /** optional: processes that serve no objects have none */
  publicObjects?: PublicObjectCache;
}

/**
 * The caches follow the domain's events: a change to a package drops every cached view of it
 * (here and, through the key-value store's broadcast, in every other process) and makes its name
 * known to the name index (here and elsewhere); a published version also drops the cached views
 * of the packages it depends on (their website pages list their dependents); a revoked token
 * leaves the token cache; a visibility change empties the object verdicts, and a published version the private objects'
 * references. Routes and pages never invalidate by hand.
 */
export function subscribeCaches(events: EventBus, { responseCache, tokenCache, packageNames, publicObjects }: Caches): () => void {
  return events.subscribe(async (event) => {
    switch (event.type) {
      case 'package-changed':
      case 'version-published':
        await Promise.all([
          // a legacy package exists once the mirror stored a version; its package-changed events
          // (an upstream packument fetched or refreshed) name packages that may have none here
          event.type === 'version-published' || event.ref.namespace !== LEGACY ? packageNames.added(event.ref) : undefined,
          responseCache.invalidate(packageGroup(event.ref)),
          ...(event.type === 'version-published' ? event.dependsOn.map((ref) => responseCache.invalidate(packageGroup(ref))) : []),
          event.type === 'version-published' ? publicObjects?.referencesAdded() : undefined,
        ]);
        return;
      case 'token-revoked':
        await tokenCache.revoked(event.hash);
        return;
      case 'visibility-changed':
        await publicObjects?.visibilityChanged();
        return;
    }
  });
}
