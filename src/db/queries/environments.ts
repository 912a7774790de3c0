/** Environments (merchant platforms) and their secrets, stored as SHA-256 digests only. */
import { createHash, randomBytes } from 'node:crypto';
import type { Pool, PoolClient } from '../pool';

type Queryable = Pool | PoolClient;

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
  opts: { id?: string; secret?: string } = {},
): Promise<{ id: string; secret: string }> {
  const secret = opts.secret ?? generateSecret();
  const { rows } = await db.query<{ id: string }>(
    `with env as (
       insert into environments (id, name) values (coalesce($1::bigint, nextval(pg_get_serial_sequence('environments', 'id'))), $2)
       returning id
     )
     insert into environment_secrets (env_id, secret_hash) select id, $3 from env returning env_id as id`,
    [opts.id ?? null, name, hashSecret(secret)],
  );
  return { id: rows[0]!.id, secret };
}

/** Creates the environment with this id and secret unless it exists (dev seed data). */
export async function ensureEnvironment(db: Queryable, id: string, name: string, secret: string): Promise<void> {
  const { rowCount } = await db.query('select 1 from environments where id = $1', [id]);
  if (!rowCount) await createEnvironment(db, name, { id, secret });
}

/** The environment whose unexpired secret has this digest, if any. */
export async function findEnvironmentBySecretHash(db: Queryable, digest: Buffer): Promise<{ envId: string; hash: Buffer } | null> {
  const { rows } = await db.query<{ env_id: string; secret_hash: Buffer }>(
    `select env_id, secret_hash from environment_secrets
     where secret_hash = $1 and (expires_at is null or expires_at > now())`,
    [digest],
  );
  return rows[0] ? { envId: rows[0].env_id, hash: rows[0].secret_hash } : null;
}

/** Digests of the environment's unexpired secrets (more than one during a rotation's overlap). */
export async function findEnvironmentSecretHashes(db: Queryable, envId: string): Promise<Buffer[]> {
  const { rows } = await db.query<{ secret_hash: Buffer }>(
    `select secret_hash from environment_secrets
     where env_id = $1 and (expires_at is null or expires_at > now())`,
    [envId],
  );
  return rows.map((r) => r.secret_hash);
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
  await client.query('insert into environment_secrets (env_id, secret_hash) values ($1, $2)', [envId, hashSecret(secret)]);
  return { secret, oldExpireAt: at.toISOString() };
}
