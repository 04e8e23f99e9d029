import { createHash } from 'node:crypto';
import { makeNpmTarball } from './npm-tarball.ts';

/** A tarball of one small package, as `npm pack` makes it. */
export function packageTarball(name: string, version: string): Promise<Buffer> {
  return makeNpmTarball([
    { name: 'package/package.json', content: JSON.stringify({ name, version }) },
    { name: 'package/index.js', content: `module.exports = ${JSON.stringify(`${name}@${version}`)};\n` },
  ]);
}

/**
 * The body `npm publish` PUTs (libnpmpublish): one version, its tarball base64 in `_attachments`,
 * and with `provenance` the Sigstore bundle beside it as `<name>-<version>.sigstore` (JSON text, not base64).
 */
export function npmPublishBody(name: string, version: string, tarball: Buffer, provenance?: unknown): Record<string, unknown> {
  const attachments: Record<string, unknown> = {
    [`${name}-${version}.tgz`]: { content_type: 'application/octet-stream', data: tarball.toString('base64'), length: tarball.length },
  };
  if (provenance !== undefined) {
    const data = JSON.stringify(provenance);
    attachments[`${name}-${version}.sigstore`] = {
      content_type: (provenance as { mediaType?: string }).mediaType,
      data,
      length: data.length,
    };
  }
  return {
    _id: name,
    name,
    'dist-tags': { latest: version },
    versions: {
      [version]: {
        name,
        version,
        _id: `${name}@${version}`,
        dist: {
          integrity: `sha512-${createHash('sha512').update(tarball).digest('base64')}`,
          shasum: createHash('sha1').update(tarball).digest('hex'),
          tarball: `http://x/${name}/-/${name.split('/').pop()}-${version}.tgz`,
        },
      },
    },
    _attachments: attachments,
  };
}
