import { MAX_BATCH_OBJECTS, OBJECTS_BATCH_TYPE } from '@entropic/types';
import { ClientError } from './client-error.ts';
import { freshSeconds, type JsonCalls, parseJson } from './json-calls.ts';
import type { NotModified } from './package-calls.ts';
import { verifyIntegrity } from './verify-integrity.ts';

/** The part of an npm packument `ds` reads (abbreviated form). */
export interface NpmPackument {
  'dist-tags': Record<string, string>;
  versions: Record<string, { deprecated?: string } & Record<string, unknown>>;
}

/** An npm view with what an HTTP cache keeps of it. */
export interface CachedNpmPackument {
  packument: NpmPackument;
  etag: string | undefined;
  /** seconds it stays fresh (Cache-Control max-age less Age) */
  maxAge: number;
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
     * Downloads many objects with `POST /objects/batch` (at most MAX_BATCH_OBJECTS; docs/objects-batch.md),
     * each verified against its integrity before `onObject` sees it; `undefined` for one the
     * registry does not have (or that the caller may not read). Holds one object in memory at a
     * time. A truncated or malformed answer rejects with INVALID_RESPONSE, a wrong byte with
     * INTEGRITY_MISMATCH; objects handed over before that stay handed over.
     */
    async getObjects(integrities: readonly string[], onObject: (integrity: string, bytes: Buffer | undefined) => void): Promise<void> {
      if (integrities.length === 0) return;
      if (integrities.length > MAX_BATCH_OBJECTS) throw new RangeError(`at most ${MAX_BATCH_OBJECTS} objects per batch`);
      // with the token: objects only private packages reference are read with read access
      const response = await transport.postForStream('/objects/batch', { objects: integrities }, { accept: OBJECTS_BATCH_TYPE });
      const reader = batchReader(integrities, onObject);
      try {
        for await (const chunk of response) reader.push(chunk as Buffer);
      } catch (error) {
        if (error instanceof ClientError) throw error;
        throw new ClientError('NETWORK_ERROR', `The registry's batch answer broke off: ${(error as Error).message}.`, { cause: error });
      } finally {
        response.destroy();
      }
      reader.end();
    },

    /**
     * The npm (abbreviated) packument of an npm name: for a `legacy` package this is the
     * registry's read-through view (the upstream's versions plus those mirrored here);
     * `undefined` when the registry does not have it; NotModified when `etag` still matches.
     */
    async getNpmPackument(npmName: string, etag?: string): Promise<CachedNpmPackument | NotModified | undefined> {
      // with the token: a private package's npm view is read with read access
      const raw = await transport.send(`/${npmName.split('/').map(encodeURIComponent).join('/')}`, {
        accept: [304, 404],
        headers: {
          accept: 'application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8',
          ...(etag ? { 'if-none-match': etag } : {}),
        },
      });
      if (raw.status === 404 || raw.status === 304) {
        await raw.body.dump();
        return raw.status === 304 ? { notModified: true, maxAge: freshSeconds(raw.headers) } : undefined;
      }
      const doc = (await parseJson(raw)) as NpmPackument;
      if (typeof doc !== 'object' || doc === null || typeof doc.versions !== 'object' || doc.versions === null) {
        throw new ClientError('INVALID_RESPONSE', `The registry sent a malformed npm packument for ${npmName}.`);
      }
      const packument = {
        'dist-tags': typeof doc['dist-tags'] === 'object' && doc['dist-tags'] ? doc['dist-tags'] : {},
        versions: doc.versions,
      };
      return { packument, etag: raw.headers.get('etag') ?? undefined, maxAge: freshSeconds(raw.headers) };
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

/** The longest record header: an integrity (95 characters), a space and a size. */
const MAX_HEADER = 128;

function malformed(detail: string): ClientError {
  return new ClientError('INVALID_RESPONSE', `The registry sent a malformed batch of objects (${detail}).`, {
    hint: 'The registry or a proxy changed the answer; retry, or report it to the registry operator.',
  });
}

/** Parses the records of a batch answer as its chunks arrive (`<integrity> <size>\n<bytes>` or `<integrity> -\n`). */
function batchReader(integrities: readonly string[], onObject: (integrity: string, bytes: Buffer | undefined) => void) {
  let index = 0;
  let header: Buffer = Buffer.alloc(0);
  let body: { integrity: string; size: number; chunks: Buffer[]; got: number } | undefined;
  const finish = () => {
    const { integrity, chunks } = body as NonNullable<typeof body>;
    body = undefined;
    index++;
    const bytes = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks);
    verifyIntegrity(bytes, integrity, `object ${integrity.slice(0, 20)}…`);
    onObject(integrity, bytes);
  };
  const startRecord = (line: string) => {
    const expected = integrities[index];
    const space = line.indexOf(' ');
    if (expected === undefined || line.slice(0, space) !== expected) throw malformed(`record ${index + 1} is not the object asked for`);
    const size = line.slice(space + 1);
    if (size === '-') {
      index++;
      onObject(expected, undefined);
      return;
    }
    if (!/^\d{1,15}$/.test(size)) throw malformed(`record ${index + 1} has no size`);
    body = { integrity: expected, size: Number(size), chunks: [], got: 0 };
    if (body.size === 0) finish();
  };
  return {
    push(chunk: Buffer) {
      let offset = 0;
      while (offset < chunk.length) {
        if (body) {
          const take = Math.min(body.size - body.got, chunk.length - offset);
          body.chunks.push(chunk.subarray(offset, offset + take));
          body.got += take;
          offset += take;
          if (body.got === body.size) finish();
          continue;
        }
        const newline = chunk.indexOf(10, offset);
        const end = newline === -1 ? chunk.length : newline;
        header = header.length === 0 ? chunk.subarray(offset, end) : Buffer.concat([header, chunk.subarray(offset, end)]);
        if (header.length > MAX_HEADER) throw malformed(`record ${index + 1} has an overlong header`);
        offset = end;
        if (newline === -1) continue;
        offset++;
        const line = header.toString('latin1');
        header = Buffer.alloc(0);
        startRecord(line);
      }
    },
    end() {
      if (body || header.length > 0 || index !== integrities.length) {
        throw malformed(`it ended after ${index} of ${integrities.length} objects`);
      }
    },
  };
}
