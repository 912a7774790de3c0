/**
 * Signing keys of signed-request mode (README: Signed requests).
 *
 * A merchant signs with a key derived from its secret:
 *   signing key = HMAC-SHA256(key = "paynocchio-signing-key-v2", message = secret)
 * a public derivation, so a client computes it from the secret alone, and it is not the
 * lookup digest SHA-256(secret) kept in `environment_secrets.secret_hash`: reading that
 * table is no longer enough to sign.
 *
 * The server never keeps the secret, so it keeps the signing key, encrypted: AES-256-GCM
 * under a key derived from SECRETS_PEPPER (config, never in the database), with the
 * secret's lookup digest as additional data so a sealed key cannot be moved to another
 * secret's row. Layout: 12-byte IV | 32-byte ciphertext | 16-byte tag.
 */
import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';

export const SIGNING_KEY_LABEL = 'paynocchio-signing-key-v2';

/** What a merchant computes from its secret (and what the server seals at creation). */
export function signingKeyOf(secret: string): Buffer {
  return createHmac('sha256', SIGNING_KEY_LABEL).update(secret, 'utf8').digest();
}

export interface SigningKeyCipher {
  /** The signing key of `secret`, sealed for the row whose lookup digest is `secretHash`. */
  seal(secretHash: Buffer, signingKey: Buffer): Buffer;
  /** The signing key, or null when the value was sealed under another pepper or altered. */
  open(secretHash: Buffer, sealed: Buffer): Buffer | null;
}

const IV = 12;
const TAG = 16;

export function signingKeyCipher(pepper: string): SigningKeyCipher {
  const key = createHmac('sha256', pepper).update('paynocchio environment signing keys v1').digest();
  return {
    seal(secretHash, signingKey) {
      const iv = randomBytes(IV);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      cipher.setAAD(secretHash);
      const body = Buffer.concat([cipher.update(signingKey), cipher.final()]);
      return Buffer.concat([iv, body, cipher.getAuthTag()]);
    },
    open(secretHash, sealed) {
      if (sealed.length <= IV + TAG) return null;
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, IV));
        decipher.setAAD(secretHash);
        decipher.setAuthTag(sealed.subarray(sealed.length - TAG));
        return Buffer.concat([decipher.update(sealed.subarray(IV, sealed.length - TAG)), decipher.final()]);
      } catch {
        return null;
      }
    },
  };
}
