import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject, sign, verify } from 'node:crypto';
import type { HostSignature } from '@entropic/types';
import type { Clock } from './ports/clock.ts';
import type { StoredHostKey } from './ports/host-keys.ts';
import type { Repositories, UnitOfWork } from './ports/repositories.ts';
import { openSecret, sealSecret } from './secret-box.ts';

/** A public key of a host, in the shape of npm's `GET /-/npm/v1/keys` (plus when it starts signing). */
export interface PublicHostKey {
  keyid: string;
  keytype: 'ecdsa-sha2-nistp256';
  scheme: 'ecdsa-sha2-nistp256';
  /** base64 of the SubjectPublicKeyInfo DER */
  key: string;
  /** ISO time the key signs from */
  notBefore: string;
  /** ISO time after which its signatures are not valid; null: no end */
  expires: string | null;
}

interface KeyringEntry {
  public: PublicHostKey;
  /** undefined when the stored private key cannot be opened (OAUTH_PASSWORD changed): verifies only */
  privateKey: KeyObject | undefined;
  notBefore: Date;
  expires: Date | null;
}

const KEY_TYPE = 'ecdsa-sha2-nistp256';
/** signatures remembered, so a packument rendered again carries the same bytes (ECDSA is randomised) */
const SIGNATURE_CACHE_SIZE = 50_000;

/** npm's key id: `SHA256:` and the unpadded base64 of the sha256 of the SPKI DER. */
export function hostKeyId(spkiDer: Buffer): string {
  return `SHA256:${createHash('sha256').update(spkiDer).digest('base64').replace(/=+$/, '')}`;
}

/** A new P-256 key, its private half sealed with `password`, valid from `notBefore`. */
export function generateHostKey(password: string, notBefore: Date): StoredHostKey {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  return {
    keyId: hostKeyId(spki),
    publicKey: spki.toString('base64'),
    sealedPrivateKey: sealSecret(password, privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()),
    notBefore,
    expires: null,
  };
}

/** Whether `signature` of `message` verifies with one of `keys` (by key id) valid at `at`. */
export function verifyHostSignature(keys: readonly PublicHostKey[], message: string, signature: HostSignature, at: Date): boolean {
  const key = keys.find((candidate) => candidate.keyid === signature.keyid);
  if (!key || key.keytype !== KEY_TYPE) return false;
  if (key.expires !== null && at.getTime() >= Date.parse(key.expires)) return false;
  try {
    const publicKey = createPublicKey({ key: Buffer.from(key.key, 'base64'), format: 'der', type: 'spki' });
    if (hostKeyId(publicKey.export({ type: 'spki', format: 'der' })) !== key.keyid) return false;
    return verify('sha256', Buffer.from(message), publicKey, Buffer.from(signature.sig, 'base64'));
  } catch {
    return false;
  }
}

/**
 * This host's keys: the public ones it publishes (every key it ever had: an expired key still
 * verifies what it signed while valid) and the one it signs with now (the newest valid key whose
 * private half opens).
 */
export class HostKeyring {
  readonly #entries: KeyringEntry[];
  readonly #clock: Clock;
  readonly #signatures = new Map<string, HostSignature>();

  constructor(stored: readonly StoredHostKey[], password: string, clock: Clock) {
    this.#clock = clock;
    this.#entries = stored.map((key) => {
      const pem = openSecret(password, key.sealedPrivateKey);
      return {
        public: {
          keyid: key.keyId,
          keytype: KEY_TYPE,
          scheme: KEY_TYPE,
          key: key.publicKey,
          notBefore: key.notBefore.toISOString(),
          expires: key.expires ? key.expires.toISOString() : null,
        },
        privateKey: pem === undefined ? undefined : createPrivateKey(pem),
        notBefore: key.notBefore,
        expires: key.expires,
      };
    });
  }

  publicKeys(): PublicHostKey[] {
    return this.#entries.map((entry) => entry.public);
  }

  /** The key signing now, or undefined when no valid key has a usable private half. */
  currentKeyId(): string | undefined {
    return this.#current()?.public.keyid;
  }

  /** Signs `message` with the current key (the same signature for the same message and key). */
  sign(message: string): HostSignature[] {
    const entry = this.#current();
    if (!entry?.privateKey) return [];
    const cacheKey = `${entry.public.keyid}\n${message}`;
    let signature = this.#signatures.get(cacheKey);
    if (!signature) {
      signature = { keyid: entry.public.keyid, sig: sign('sha256', Buffer.from(message), entry.privateKey).toString('base64') };
      if (this.#signatures.size >= SIGNATURE_CACHE_SIZE) this.#signatures.clear();
      this.#signatures.set(cacheKey, signature);
    }
    return [signature];
  }

  #current(): KeyringEntry | undefined {
    const now = this.#clock.now().getTime();
    let best: KeyringEntry | undefined;
    for (const entry of this.#entries) {
      if (!entry.privateKey || entry.notBefore.getTime() > now) continue;
      if (entry.expires && entry.expires.getTime() <= now) continue;
      if (!best || entry.notBefore.getTime() >= best.notBefore.getTime()) best = entry;
    }
    return best;
  }
}

export interface HostKeyDeps {
  repos: Repositories;
  uow: UnitOfWork;
  clock: Clock;
}

/**
 * This host's keyring, making its first key when no stored key can sign now (first start, every
 * key expired, or OAUTH_PASSWORD changed). Processes starting at once make one key between them.
 */
export async function loadHostKeyring(deps: HostKeyDeps, password: string): Promise<HostKeyring> {
  const keyring = new HostKeyring(await deps.repos.hostKeys.list(), password, deps.clock);
  if (keyring.currentKeyId() !== undefined) return keyring;
  const stored = await deps.uow.transaction(async (repos) => {
    await repos.hostKeys.lock();
    const keys = await repos.hostKeys.list();
    if (new HostKeyring(keys, password, deps.clock).currentKeyId() !== undefined) return keys;
    const fresh = generateHostKey(password, deps.clock.now());
    await repos.hostKeys.insert(fresh);
    return [...keys, fresh];
  });
  return new HostKeyring(stored, password, deps.clock);
}

/**
 * Rotation: a new key signs from now; every older key stops signing after `graceSeconds` (so a
 * process still holding the old keyring signs validly until it reloads). Answers the new key id.
 */
export async function rotateHostKey(deps: HostKeyDeps, password: string, graceSeconds: number): Promise<string> {
  const now = deps.clock.now();
  return deps.uow.transaction(async (repos) => {
    await repos.hostKeys.lock();
    await repos.hostKeys.expireAll(new Date(now.getTime() + graceSeconds * 1000));
    const fresh = generateHostKey(password, now);
    await repos.hostKeys.insert(fresh);
    return fresh.keyId;
  });
}
