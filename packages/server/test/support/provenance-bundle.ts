import { createHash, createPrivateKey, sign, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';

const fixture = (name: string) => readFileSync(new URL(`../fixtures/${name}`, import.meta.url), 'utf8');

/**
 * A Sigstore bundle shaped as `npm publish --provenance` sends it (v0.3, a DSSE envelope holding
 * an in-toto SLSA provenance statement, the signing certificate), signed with a local key whose
 * self-made certificate stands in for Fulcio's (fixtures/provenance-signer.*: an identity URI of
 * a GitHub workflow and Fulcio's issuer extension). Sigstore's public-good services are not
 * reachable here, so the bundle has no transparency-log entry: it verifies as signed, not as
 * chained to Sigstore (docs/decisions/provenance.md).
 */
export function makeProvenanceBundle(
  npmName: string,
  version: string,
  tarball: Buffer,
  change: { sha512?: string; subjectName?: string; tamper?: boolean } = {},
): Record<string, unknown> {
  const statement = {
    _type: 'https://in-toto.io/Statement/v1',
    subject: [
      {
        name: change.subjectName ?? `pkg:npm/${npmName.replace(/^@/, '%40')}@${version}`,
        digest: { sha512: change.sha512 ?? createHash('sha512').update(tarball).digest('hex') },
      },
    ],
    predicateType: 'https://slsa.dev/provenance/v1',
    predicate: {
      buildDefinition: {
        buildType: 'https://slsa-framework.github.io/github-actions-buildtypes/workflow/v1',
        externalParameters: {
          workflow: { ref: 'refs/heads/main', repository: 'https://github.com/alice/widgets', path: '.github/workflows/release.yml' },
        },
      },
      runDetails: { builder: { id: 'https://github.com/actions/runner/github-hosted' } },
    },
  };
  const payloadType = 'application/vnd.in-toto+json';
  const payload = Buffer.from(JSON.stringify(statement));
  const pae = Buffer.concat([Buffer.from(`DSSEv1 ${payloadType.length} ${payloadType} ${payload.length} `), payload]);
  const signature = sign('sha256', pae, createPrivateKey(fixture('provenance-signer.key.pem')));
  const cert = new X509Certificate(fixture('provenance-signer.cert.pem'));
  const sent = change.tamper ? Buffer.from(JSON.stringify({ ...statement, predicateType: 'https://slsa.dev/provenance/v0.2' })) : payload;
  return {
    mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
    verificationMaterial: { certificate: { rawBytes: cert.raw.toString('base64') }, tlogEntries: [] },
    dsseEnvelope: { payload: sent.toString('base64'), payloadType, signatures: [{ sig: signature.toString('base64'), keyid: '' }] },
  };
}
