import { readFileSync } from 'node:fs';
import { type AttestationVerification, type CoreDeps, findPackage, type PackageRef } from '@entropic/core';
import { appError, type Integrity, truncate } from '@entropic/types';
import { type Bundle, bundleFromJSON, isBundleWithCertificateChain } from '@sigstore/bundle';
import { crypto, dsse, X509Certificate } from '@sigstore/core';
import { TrustedRoot } from '@sigstore/protobuf-specs';
import { type TrustMaterial, toSignedEntity, toTrustMaterial, Verifier } from '@sigstore/verify';

/** What `npm publish --provenance` attests, checked and ready to store. */
export interface CheckedProvenance {
  predicateType: string;
  /** the bundle exactly as npm sent it (JSON text) */
  bundle: Buffer;
  verification: AttestationVerification;
}

const INTOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json';
const INTOTO_STATEMENTS = new Set(['https://in-toto.io/Statement/v0.1', 'https://in-toto.io/Statement/v1']);
/** a provenance bundle is a few kilobytes; this bounds what is parsed */
export const MAX_PROVENANCE_BYTES = 256 * 1024;
/** Fulcio's certificate extension naming the OIDC issuer of the signer (v2, then v1) */
const FULCIO_ISSUER_V2 = '1.3.6.1.4.1.57264.1.8';
const FULCIO_ISSUER_V1 = '1.3.6.1.4.1.57264.1.1';

let publicGood: TrustMaterial | undefined;

/**
 * Sigstore's public-good trust root (Fulcio CAs, Rekor and CT log keys), as shipped with npm's
 * own `@sigstore/tuf` seed, kept in this repository: this registry cannot reach Sigstore's TUF
 * repository, so a root rotated after it was copied makes new bundles verify as signature-only
 * (docs/decisions/provenance.md).
 */
function publicGoodTrustMaterial(): TrustMaterial {
  if (!publicGood) {
    const json = JSON.parse(readFileSync(new URL('./sigstore/public-good-trusted-root.json', import.meta.url), 'utf8'));
    publicGood = toTrustMaterial(TrustedRoot.fromJSON(json));
  }
  return publicGood;
}

function invalid(message: string, cause?: unknown) {
  return appError('INVALID_PROVENANCE', message, {
    hint: 'Publish with `npm publish --provenance` from a supported CI, or without provenance.',
    ...(cause ? { cause } : {}),
  });
}

/** npm's package URL of a version (npm-package-arg's toPurl): the in-toto subject name. */
export function npmPurl(npmName: string, version: string): string {
  return `pkg:npm/${npmName.replace(/^@/, '%40')}@${version}`;
}

function signingCertificate(bundle: Bundle): X509Certificate {
  const raw = isBundleWithCertificateChain(bundle)
    ? bundle.verificationMaterial.content.x509CertificateChain.certificates[0]?.rawBytes
    : bundle.verificationMaterial.content.$case === 'certificate'
      ? bundle.verificationMaterial.content.certificate.rawBytes
      : undefined;
  if (!raw) throw invalid('The provenance bundle carries no signing certificate.');
  try {
    return X509Certificate.parse(Buffer.from(raw));
  } catch (error) {
    throw invalid("The provenance bundle's signing certificate cannot be read.", error);
  }
}

function extensionText(cert: X509Certificate, oid: string): string | undefined {
  const ext = cert.extension(oid);
  if (!ext) return undefined;
  // v1 holds the raw string, v2 a DER UTF8String (short form length)
  const value = ext.value;
  const der = value.length > 2 && value[0] === 0x0c && value[1] === value.length - 2;
  const text = (der ? value.subarray(2) : value).toString('utf8');
  return truncate(text, 300);
}

/**
 * Checks the `<name>-<version>.sigstore` attachment of `npm publish --provenance`: a Sigstore
 * bundle with a DSSE envelope holding one in-toto statement whose subject is this package at this
 * version with the tarball's sha512, signed by the key of the bundle's certificate. Any of that
 * failing refuses the publish (INVALID_PROVENANCE). Then, recorded and never refusing: whether the
 * certificate chains to Sigstore's public-good Fulcio and the transparency-log entry verifies.
 */
export function checkProvenance(input: {
  bundleText: string;
  npmName: string;
  version: string;
  tarballSha512Hex: string;
}): CheckedProvenance {
  if (Buffer.byteLength(input.bundleText) > MAX_PROVENANCE_BYTES) throw invalid('The provenance bundle is larger than 256 KiB.');
  let bundle: Bundle;
  try {
    bundle = bundleFromJSON(JSON.parse(input.bundleText));
  } catch (error) {
    throw invalid('The provenance attachment is not a Sigstore bundle.', error);
  }
  if (bundle.content.$case !== 'dsseEnvelope') throw invalid('The provenance bundle holds no DSSE envelope.');
  const envelope = bundle.content.dsseEnvelope;
  if (envelope.payloadType !== INTOTO_PAYLOAD_TYPE) throw invalid('The provenance envelope does not hold an in-toto statement.');
  let statement: { _type?: unknown; subject?: unknown; predicateType?: unknown };
  try {
    statement = JSON.parse(envelope.payload.toString('utf8'));
  } catch (error) {
    throw invalid('The in-toto statement is not JSON.', error);
  }
  if (!INTOTO_STATEMENTS.has(String(statement._type))) throw invalid('The in-toto statement has an unknown type.');
  if (typeof statement.predicateType !== 'string' || statement.predicateType.length > 200) {
    throw invalid('The in-toto statement has no predicate type.');
  }
  const subjects = Array.isArray(statement.subject) ? (statement.subject as Array<{ name?: unknown; digest?: { sha512?: unknown } }>) : [];
  if (subjects.length !== 1) throw invalid('The in-toto statement must have exactly one subject.');
  const subject = subjects[0] as { name?: unknown; digest?: { sha512?: unknown } };
  const purl = npmPurl(input.npmName, input.version);
  if (subject.name !== purl && !String(subject.name).startsWith(`${purl}?`)) {
    throw invalid(`The provenance attests "${truncate(String(subject.name))}", not ${purl}.`);
  }
  if (subject.digest?.sha512 !== input.tarballSha512Hex) throw invalid("The provenance subject's sha512 is not the tarball's.");

  const signature = envelope.signatures[0];
  if (!signature || envelope.signatures.length !== 1) throw invalid('The provenance envelope must carry exactly one signature.');
  const cert = signingCertificate(bundle);
  let signed = false;
  try {
    signed = crypto.verify(
      dsse.preAuthEncoding(envelope.payloadType, envelope.payload),
      crypto.createPublicKey(cert.publicKey),
      signature.sig,
    );
  } catch (error) {
    throw invalid('The provenance signature cannot be checked.', error);
  }
  if (!signed) throw invalid("The provenance signature does not verify with its certificate's key.");

  const verification: AttestationVerification = { subject: true, signature: true, sigstore: false };
  const identity = cert.subjectAltName;
  if (identity) verification.identity = truncate(identity, 300);
  const issuer = extensionText(cert, FULCIO_ISSUER_V2) ?? extensionText(cert, FULCIO_ISSUER_V1);
  if (issuer) verification.issuer = issuer;
  try {
    new Verifier(publicGoodTrustMaterial()).verify(toSignedEntity(bundle));
    verification.sigstore = true;
  } catch (error) {
    verification.reason = truncate(error instanceof Error ? error.message : String(error), 200);
  }
  return { predicateType: statement.predicateType, bundle: Buffer.from(input.bundleText), verification };
}

/** One stored attestation as npm's attestations endpoint serves it. */
export interface NpmAttestation {
  predicateType: string;
  bundle: unknown;
}

/**
 * `GET /-/npm/v1/attestations/<name>@<version>`: the version's stored bundles, in npm's shape
 * (`{attestations: [{predicateType, bundle}]}`), or ATTESTATIONS_NOT_FOUND.
 */
export async function getNpmAttestations(
  deps: CoreDeps,
  input: { ref: PackageRef; npmName: string; version: string },
): Promise<{ attestations: NpmAttestation[] }> {
  const pkg = await findPackage(deps.repos, input.ref, deps.host);
  const row = pkg ? await deps.repos.npmTarballs.findByPackageId(pkg.id, input.version) : undefined;
  const stored = row ? await deps.repos.attestations.listByVersion(row.versionId) : [];
  if (stored.length === 0)
    throw appError('ATTESTATIONS_NOT_FOUND', `${truncate(input.npmName)}@${truncate(input.version, 40)} has no attestations.`);
  const attestations: NpmAttestation[] = [];
  for (const a of stored) {
    const bytes = await deps.blobs.getBytes(a.bundle_integrity as Integrity);
    if (!bytes) throw appError('OBJECT_NOT_FOUND', 'An attestation bundle is missing from storage.');
    attestations.push({ predicateType: a.predicate_type, bundle: JSON.parse(bytes.toString('utf8')) });
  }
  return { attestations };
}
