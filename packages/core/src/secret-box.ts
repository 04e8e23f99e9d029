import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

const VERSION = 'v1';
const INFO = Buffer.from('entropic provider access token');

/**
 * Seals a secret (a provider's access token) for storage: AES-256-GCM under a key derived by
 * HKDF-SHA256 from `password` (OAUTH_PASSWORD) with a random salt per value, so equal tokens
 * never produce equal ciphertexts and a database dump alone reveals nothing.
 * Format: `v1.<salt>.<iv>.<tag>.<ciphertext>`, each part base64url.
 */
export function sealSecret(password: string, plaintext: string): string {
  const salt = randomBytes(16);
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', deriveKey(password, salt), iv);
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return [VERSION, salt, iv, cipher.getAuthTag(), ciphertext]
    .map((part) => (typeof part === 'string' ? part : part.toString('base64url')))
    .join('.');
}

/** The secret, or undefined when the value was not sealed with this password or was altered. */
export function openSecret(password: string, sealed: string): string | undefined {
  const parts = sealed.split('.');
  if (parts.length !== 5 || parts[0] !== VERSION) return undefined;
  const [salt, iv, tag, ciphertext] = parts.slice(1).map((part) => Buffer.from(part, 'base64url')) as [Buffer, Buffer, Buffer, Buffer];
  if (salt.length !== 16 || iv.length !== 12 || tag.length !== 16) return undefined;
  try {
    const decipher = createDecipheriv('aes-256-gcm', deriveKey(password, salt), iv);
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(ciphertext), decipher.final()]).toString('utf8');
  } catch {
    return undefined;
  }
}

function deriveKey(password: string, salt: Buffer): Buffer {
  return Buffer.from(hkdfSync('sha256', password, salt, INFO, 32));
}
