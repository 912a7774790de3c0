/**
 * Environments (merchant platforms) and their secrets, stored as SHA-256 digests only,
 * each with its signed-mode signing key sealed under SECRETS_PEPPER (src/signing-keys.ts).
 */
import { createHash, randomBytes } from 'node:crypto';
import type { PoolClient, Queryable } from '../pool';
import { signingKeyOf, type SigningKeyCipher } from '../../signing-keys';


export function hashSecret(secret: string): Buffer {
  return createHash('sha256').update(secret, 'utf8').digest();
}

/** A fresh secret: "secret_" and 32 base62 characters (~190 bits). */
export function generateSecret(): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  const bytes = randomBytes(64);
  let out = '';
  for (const b of bytes) {
    if (b >= 248) continue; // 248 = 4 * 62: keeps the draw uniform
    out += alphabet[b % 62];
    if (out.length === 32) break;
  }
  return 'secret_' + out;
}

export async function createEnvironment(
  db: Queryable,
  name: string,
  opts: { id?: string; secret?: string; cipher?: SigningKeyCipher } = {},
): Promise<{ id: string; secret: string }> {
  const secret = opts.secret ?? generateSecret();
  const digest = hashSecret(secret);
  const { rows } = await db.query<{ id: string }>(
    `with env as (
       insert into environments (id, name) values (coalesce($1::bigint, nextval(pg_get_serial_sequence('environments', 'id'))), $2)
       returning id
     )
     insert into environment_secrets (env_id, secret_hash, signing_key_enc) select id, $3, $4 from env returning env_id as id`,
    [opts.id ?? null, name, digest, sealedKey(opts.cipher, digest, secret)],
  );
  return { id: rows[0]!.id, secret };
}

/** The secret's signing key sealed for its row; null without a cipher (filled later, see auth.ts). */
function sealedKey(cipher: SigningKeyCipher | undefined, digest: Buffer, secret: string): Buffer | null {
  return cipher ? cipher.seal(digest, signingKeyOf(secret)) : null;
}

/** Creates the environment with this id and secret unless it exists (dev seed data). */
export async function ensureEnvironment(db: Queryable, id: string, name: string, secret: string, cipher?: SigningKeyCipher): Promise<void> {
  const { rowCount } = await db.query('select 1 from environments where id = $1', [id]);
  if (!rowCount) await createEnvironment(db, name, { id, secret, cipher });
}

/** The environment whose unexpired secret has this digest, if any, with its sealed signing key. */
export async function findEnvironmentBySecretHash(
  db: Queryable,
  digest: Buffer,
): Promise<{ envId: string; hash: Buffer; signingKeyEnc: Buffer | null } | null> {
  const { rows } = await db.query<{ env_id: string; secret_hash: Buffer; signing_key_enc: Buffer | null }>(
    `select env_id, secret_hash, signing_key_enc from environment_secrets
     where secret_hash = $1 and (expires_at is null or expires_at > now())`,
    [digest],
  );
  return rows[0] ? { envId: rows[0].env_id, hash: rows[0].secret_hash, signingKeyEnc: rows[0].signing_key_enc } : null;
}

/**
 * Stores the sealed signing key of a secret presented in bearer mode: the migration path
 * of secrets made before signing keys existed (or sealed under a former pepper).
 */
export async function storeSigningKey(db: Queryable, digest: Buffer, sealed: Buffer): Promise<void> {
  await db.query('update environment_secrets set signing_key_enc = $2 where secret_hash = $1', [digest, sealed]);
}

/** The environment's unexpired secrets (more than one during a rotation's overlap) with their sealed signing keys. */
export async function findEnvironmentSigningKeys(db: Queryable, envId: string): Promise<{ hash: Buffer; signingKeyEnc: Buffer | null }[]> {
  const { rows } = await db.query<{ secret_hash: Buffer; signing_key_enc: Buffer | null }>(
    `select secret_hash, signing_key_enc from environment_secrets
     where env_id = $1 and (expires_at is null or expires_at > now())`,
    [envId],
  );
  return rows.map((r) => ({ hash: r.secret_hash, signingKeyEnc: r.signing_key_enc }));
}

/**
 * Records an accepted signature until `expiresAt` (unix seconds). False when it was
 * already there: the same signed request seen twice, a replay.
 */
export async function recordSignature(db: Queryable, envId: string, signature: Buffer, expiresAt: number): Promise<boolean> {
  const { rowCount } = await db.query(
    `insert into seen_signatures (env_id, signature, expires_at) values ($1, $2, to_timestamp($3))
     on conflict do nothing`,
    [envId, signature, expiresAt],
  );
  return rowCount === 1;
}

/** Housekeeping: forgets signatures whose timestamp has left the window. */
export async function purgeSeenSignatures(db: Queryable, limit = 10_000): Promise<number> {
  const { rowCount } = await db.query(
    `delete from seen_signatures where ctid = any(array(
       select ctid from seen_signatures where expires_at < now() limit $1))`,
    [limit],
  );
  return rowCount ?? 0;
}

export interface EnvironmentSummary {
  id: string;
  name: string;
  createdAt: string;
  activeSecrets: number;
  wallets: number;
}

export async function listEnvironments(db: Queryable): Promise<EnvironmentSummary[]> {
  const { rows } = await db.query<{ id: string; name: string; created_at: Date; active_secrets: number; wallets: number }>(
    `select e.id, e.name, e.created_at,
       (select count(*)::int from environment_secrets s where s.env_id = e.id and (s.expires_at is null or s.expires_at > now())) as active_secrets,
       (select count(*)::int from wallets w where w.env_id = e.id) as wallets
     from environments e order by e.id`,
  );
  return rows.map((r) => ({ id: r.id, name: r.name, createdAt: r.created_at.toISOString(), activeSecrets: r.active_secrets, wallets: r.wallets }));
}

/**
 * Adds a fresh secret and makes the environment's other live secrets expire after
 * `overlapSeconds` (0: at once), so merchants can switch without downtime.
 * Returns null when the environment does not exist.
 */
export async function rotateEnvironmentSecret(
  client: PoolClient,
  envId: string,
  overlapSeconds: number,
  cipher?: SigningKeyCipher,
): Promise<{ secret: string; oldExpireAt: string } | null> {
  const env = await client.query('select 1 from environments where id = $1 for update', [envId]);
  if (!env.rowCount) return null;
  const secret = generateSecret();
  const { rows } = await client.query<{ at: Date }>(`select now() + make_interval(secs => $1) as at`, [overlapSeconds]);
  const at = rows[0]!.at;
  await client.query(
    `update environment_secrets set expires_at = $2
     where env_id = $1 and (expires_at is null or expires_at > $2)`,
    [envId, at],
  );
  const digest = hashSecret(secret);
  await client.query('insert into environment_secrets (env_id, secret_hash, signing_key_enc) values ($1, $2, $3)', [
    envId,
    digest,
    sealedKey(cipher, digest, secret),
  ]);
  return { secret, oldExpireAt: at.toISOString() };
}
