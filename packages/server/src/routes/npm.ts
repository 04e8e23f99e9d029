import type { FastifyInstance } from 'fastify';
import { registerDownloadRoutes } from './download-routes.ts';
import { registerNpmAccessRoutes } from './npm-access-routes.ts';
import { registerNpmAttestationRoutes } from './npm-attestation-routes.ts';
import { registerNpmAuditRoutes } from './npm-audit-routes.ts';
import { createNpmContext } from './npm-context.ts';
import { registerNpmDistTagRoutes } from './npm-dist-tag-routes.ts';
import { registerNpmOidcRoutes } from './npm-oidc-routes.ts';
import { registerNpmPackumentRoutes } from './npm-packument-routes.ts';
import { registerNpmSearchRoutes } from './npm-search-routes.ts';
import { registerNpmTarballRoutes } from './npm-tarball-routes.ts';
import { registerNpmTeamRoutes } from './npm-team-routes.ts';
import { registerNpmTokenRoutes } from './npm-token-routes.ts';
import { registerNpmWriteRoutes } from './npm-write-routes.ts';

/**
 * The npm registry protocol over Entropic packages: packuments, tarballs, publish, dist-tags,
 * deprecate (a message with the version), unpublish (as yank), and the `legacy` read-through
 * mirror. `@ns/name` is the package `ns@<this host>/name` when `ns` is a namespace here; every
 * other name is `legacy`.
 */
export function registerNpmRoutes(app: FastifyInstance): void {
  const ctx = createNpmContext(app);
  registerNpmPackumentRoutes(app, ctx);
  registerNpmTarballRoutes(app, ctx);
  registerNpmWriteRoutes(app, ctx);
  registerNpmDistTagRoutes(app, ctx);
  registerNpmSearchRoutes(app, ctx);
  registerDownloadRoutes(app, ctx);
  registerNpmAccessRoutes(app, ctx);
  registerNpmTokenRoutes(app);
  registerNpmTeamRoutes(app, ctx);
  registerNpmOidcRoutes(app, ctx);
  registerNpmAttestationRoutes(app, ctx);
  registerNpmAuditRoutes(app, ctx);
  app.get('/-/ping', async () => ({}));
}
