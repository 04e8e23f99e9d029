import { ClientError } from './client-error.ts';
import { type JsonCalls, parseJson } from './json-calls.ts';
import { verifyIntegrity } from './verify-integrity.ts';

/** The part of an npm packument `ds` reads (abbreviated form). */
export interface NpmPackument {
  'dist-tags': Record<string, string>;
  versions: Record<string, { deprecated?: string } & Record<string, unknown>>;
}

/** What an install downloads: objects by integrity, and the npm view of `legacy` packages. */
export function downloadCalls({ transport }: JsonCalls) {
  return {
    /** Downloads a blob and verifies it against `integrity` before returning it. */
    async getObject(integrity: string): Promise<Buffer> {
      const digest = integrity.slice('sha512-'.length);
      // with the token: objects only private packages reference are read with read access
      const raw = await transport.send(`/objects/object/sha512/${encodeURIComponent(digest)}`, {
        headers: { accept: 'application/octet-stream' },
      });
      const bytes = (await raw.body.buffer?.()) ?? Buffer.from(await raw.body.arrayBuffer());
      verifyIntegrity(bytes, integrity, `object ${integrity.slice(0, 20)}…`);
      return bytes;
    },

    /**
     * The npm (abbreviated) packument of an npm name: for a `legacy` package this is the
     * registry's read-through view (the upstream's versions plus those mirrored here);
     * `undefined` when the registry does not have it.
     */
    async getNpmPackument(npmName: string): Promise<NpmPackument | undefined> {
      // with the token: a private package's npm view is read with read access
      const raw = await transport.send(`/${npmName.split('/').map(encodeURIComponent).join('/')}`, {
        accept: [404],
        headers: { accept: 'application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8' },
      });
      if (raw.status === 404) {
        await raw.body.dump();
        return undefined;
      }
      const doc = (await parseJson(raw)) as NpmPackument;
      if (typeof doc !== 'object' || doc === null || typeof doc.versions !== 'object' || doc.versions === null) {
        throw new ClientError('INVALID_RESPONSE', `The registry sent a malformed npm packument for ${npmName}.`);
      }
      return { 'dist-tags': typeof doc['dist-tags'] === 'object' && doc['dist-tags'] ? doc['dist-tags'] : {}, versions: doc.versions };
    },

    /**
     * Asks the registry for an npm tarball without downloading it (HEAD): for a `legacy`
     * package that makes the read-through mirror store the version, after which it is an
     * ordinary Entropic version (`legacy@host/name`). Resolves false when the registry has no
     * such version.
     */
    /**
     * Tells the registry which versions an install fetched from it (their documents come by
     * integrity, which names no version), so they count as downloads (docs/downloads.md).
     */
    async reportDownloads(downloads: ReadonlyArray<{ package: string; version: string }>): Promise<void> {
      for (let i = 0; i < downloads.length; i += 1000) {
        const raw = await transport.send('/-/downloads/installs', {
          method: 'POST',
          json: { downloads: downloads.slice(i, i + 1000) },
          auth: false,
        });
        await raw.body.dump();
      }
    },

    async mirrorNpmVersion(npmName: string, version: string): Promise<boolean> {
      const base = npmName.split('/').pop() as string;
      const path = `/${npmName.split('/').map(encodeURIComponent).join('/')}/-/${encodeURIComponent(`${base}-${version}.tgz`)}`;
      const raw = await transport.send(path, {
        method: 'HEAD',
        auth: false,
        accept: [404],
        headers: { accept: 'application/octet-stream' },
      });
      await raw.body.dump();
      return raw.status < 300;
    },
  };
}
