import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import tar from 'tar-stream';

/** npm's fixed tarball mtime (1985-10-26T08:15:00Z) */
const NPM_MTIME = new Date(499162500000);

/** One version as `npm publish` would upload it. */
export interface NpmVersion {
  name: string;
  version: string;
  manifest: Record<string, unknown>;
  tarball: Buffer;
}

/** A gzipped npm tarball of `package/<path>` entries with npm's fixed mtime (deterministic bytes). */
export async function makeTarball(files: readonly { path: string; content: Buffer }[]): Promise<Buffer> {
  const pack = tar.pack();
  for (const file of files) {
    pack.entry({ name: `package/${file.path}`, size: file.content.length, mode: 0o644, mtime: NPM_MTIME }, file.content);
  }
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of pack) chunks.push(chunk as Buffer);
  return gzipSync(Buffer.concat(chunks), { level: 9 });
}

/** One npm version: the files, with a real package.json naming the npm dependencies. */
export async function npmVersion(
  name: string,
  version: string,
  files: readonly { path: string; content: Buffer }[],
  dependencies: Record<string, string>,
): Promise<NpmVersion> {
  const manifest: Record<string, unknown> = {
    name,
    version,
    description: `${name}, a package of the Entropic npm benchmark corpus`,
    main: 'lib/file-2.js',
    license: 'MIT',
    dependencies,
  };
  const withManifest = files.map((f) =>
    f.path === 'package.json' ? { path: f.path, content: Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`) } : f,
  );
  return { name, version, manifest, tarball: await makeTarball(withManifest) };
}

/** The document `npm publish` sends: PUT /<name> with the manifest and the base64 tarball. */
export function publishDocument(registryUrl: string, v: NpmVersion): Buffer {
  const file = `${v.name}-${v.version}.tgz`;
  const integrity = `sha512-${createHash('sha512').update(v.tarball).digest('base64')}`;
  const shasum = createHash('sha1').update(v.tarball).digest('hex');
  const doc = {
    _id: v.name,
    name: v.name,
    description: v.manifest.description,
    'dist-tags': { latest: v.version },
    versions: {
      [v.version]: {
        ...v.manifest,
        _id: `${v.name}@${v.version}`,
        readme: '',
        dist: { integrity, shasum, tarball: `${registryUrl}/${v.name}/-/${file}` },
      },
    },
    access: null,
    _attachments: { [file]: { content_type: 'application/octet-stream', data: v.tarball.toString('base64'), length: v.tarball.length } },
  };
  return Buffer.from(JSON.stringify(doc));
}
