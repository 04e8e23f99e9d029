import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { type HostSignature, hostKeyId, type PublicHostKey } from '@entropic/types';
import type { Clock } from './ports/clock.ts';
import type { StoredHostKey } from './ports/host-keys.ts';
import type { Repositories, UnitOfWork } from './ports/repositories.ts';
import { openSecret, sealSecret } from './secret-box.ts';

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

/**
 * A key given by configuration (HOST_SIGNING_KEYS_FILE, docs/federation.md): a P-256 private key
 * (PKCS#8 or SEC1 PEM) that signs while valid, or only the public key of a retired one (verifies).
 */
export interface ConfiguredHostKey {
  privateKeyPem?: string;
  publicKeyPem?: string;
  notBefore: Date;
  expires: Date | null;
}

function entryOf(keyid: string, key: string, privateKey: KeyObject | undefined, notBefore: Date, expires: Date | null): KeyringEntry {
  return {
    public: {
      keyid,
      keytype: KEY_TYPE,
      scheme: KEY_TYPE,
      key,
      notBefore: notBefore.toISOString(),
      expires: expires ? expires.toISOString() : null,
    },
    privateKey,
    notBefore,
    expires,
  };
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
      return entryOf(key.keyId, key.publicKey, pem === undefined ? undefined : createPrivateKey(pem), key.notBefore, key.expires);
    });
  }

  /** A keyring of keys given by configuration (HOST_SIGNING_KEYS_FILE) rather than stored in the database. */
  static fromConfigured(keys: readonly ConfiguredHostKey[], clock: Clock): HostKeyring {
    const keyring = new HostKeyring([], '', clock);
    for (const key of keys) {
      const privateKey = key.privateKeyPem === undefined ? undefined : createPrivateKey(key.privateKeyPem);
      const spki = createPublicKey(privateKey ?? key.publicKeyPem ?? '').export({ type: 'spki', format: 'der' });
      keyring.#entries.push(entryOf(hostKeyId(spki), spki.toString('base64'), privateKey, key.notBefore, key.expires));
    }
    return keyring;
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
