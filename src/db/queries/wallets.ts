/** Wallet queries. Every read is scoped by environment: a wallet of another tenant is never seen. */
import type { Currency } from '../../domain/money';
import type { Wallet, WalletStatus } from '../../domain/types';
import type { PoolClient, Queryable } from '../pool';


export interface WalletRow {
  id: string;
  env_id: string;
  user_id: string;
  currency: string;
  status: WalletStatus;
  balance: string;
  held: string;
  created_at: Date;
}

export const WALLET_COLUMNS = 'id, env_id, user_id, currency, status, balance, held, created_at';

export function walletFromRow(row: WalletRow): Wallet {
  return {
    id: row.id,
    envId: row.env_id,
    userId: row.user_id,
    currency: row.currency as Currency,
    status: row.status,
    balance: row.balance,
    held: row.held,
    createdAt: row.created_at.toISOString(),
  };
}

/** Creates the user's wallet in that currency, or returns the one that exists. */
export async function createWallet(
  db: Queryable,
  envId: string,
  userId: string,
  currency: Currency,
): Promise<{ wallet: Wallet; created: boolean }> {
  const inserted = await db.query<WalletRow>(
    `insert into wallets (env_id, user_id, currency) values ($1, $2, $3)
     on conflict (env_id, user_id, currency) do nothing
     returning ${WALLET_COLUMNS}`,
    [envId, userId, currency],
  );
  if (inserted.rows[0]) return { wallet: walletFromRow(inserted.rows[0]), created: true };
  const existing = await db.query<WalletRow>(
    `select ${WALLET_COLUMNS} from wallets where env_id = $1 and user_id = $2 and currency = $3`,
    [envId, userId, currency],
  );
  return { wallet: walletFromRow(existing.rows[0]!), created: false };
}

/** A listed wallet, and whether a spend limit (its own or its environment's for its currency) applies to it. */
export type ListedWallet = Wallet & { spendLimited: boolean };

/**
 * The read path's one query (GET /wallet/, B0's read): a user's wallets, each with whether
 * a spend limit applies, so the route asks for limit statuses only when one does (most
 * wallets have none: no second query). The condition is getLimitStatuses's own
 * (spend-limits.ts: a wallet_limits row, or an environment_limits row for the currency).
 *
 * A named statement: Postgres plans it once per connection instead of on every read
 * (measured on the 2-core bench box, Postgres CPU per query: ~250-490 µs unnamed, where
 * planning dominates, vs ~50 µs named).
 * The result's columns are listed, so a migration that adds a column does not
 * invalidate it; a pooler in front must keep prepared statements per server connection
 * (PgBouncer ≥ 1.21 with max_prepared_statements in transaction mode).
 */
export async function listUserWallets(db: Queryable, envId: string, userId: string): Promise<ListedWallet[]> {
  const { rows } = await db.query<WalletRow & { spend_limited: boolean }>({
    name: 'list-user-wallets',
    text: `select ${WALLET_COLUMNS},
             exists (select 1 from wallet_limits l where l.wallet_id = w.id)
             or exists (select 1 from environment_limits e where e.env_id = w.env_id and e.currency = w.currency) as spend_limited
           from wallets w where env_id = $1 and user_id = $2 order by id`,
    values: [envId, userId],
  });
  return rows.map((r) => ({ ...walletFromRow(r), spendLimited: r.spend_limited }));
}

/** The wallet, if it belongs to this environment (and to this user, when one is named). */
export async function findWallet(
  db: Queryable,
  envId: string,
  walletId: string,
  userId?: string,
): Promise<Wallet | null> {
  // Named: every movement's request checks its wallet with it (issue 11).
  const { rows } = await db.query<WalletRow>({
    name: 'find-wallet',
    text: `select ${WALLET_COLUMNS} from wallets
     where id = $1 and env_id = $2 and ($3::text is null or user_id = $3)`,
    values: [walletId, envId, userId ?? null],
  });
  return rows[0] ? walletFromRow(rows[0]) : null;
}

/** Locks the wallets in ascending id order (the one lock order every writer uses). */
export async function lockWallets(client: PoolClient, envId: string, walletIds: string[]): Promise<Wallet[]> {
  const { rows } = await client.query<WalletRow>(
    `select ${WALLET_COLUMNS} from wallets where env_id = $1 and id = any($2::bigint[]) order by id for update`,
    [envId, walletIds],
  );
  return rows.map(walletFromRow);
}

export async function updateWalletStatus(client: PoolClient, walletId: string, status: WalletStatus): Promise<Wallet> {
  const { rows } = await client.query<WalletRow>(
    `update wallets set status = $2, updated_at = now() where id = $1 returning ${WALLET_COLUMNS}`,
    [walletId, status],
  );
  return walletFromRow(rows[0]!);
}

/** Writes new balances and holds for wallets already locked by lockWallets. */
export async function writeWalletBalances(
  client: PoolClient,
  updates: { id: string; balance: bigint; held: bigint }[],
): Promise<Wallet[]> {
  const { rows } = await client.query<WalletRow>(
    `update wallets w set balance = u.balance, held = u.held, updated_at = now()
     from unnest($1::bigint[], $2::bigint[], $3::bigint[]) as u(id, balance, held)
     where w.id = u.id
     returning ${WALLET_COLUMNS.split(', ').map((c) => 'w.' + c).join(', ')}`,
    [updates.map((u) => u.id), updates.map((u) => u.balance.toString()), updates.map((u) => u.held.toString())],
  );
  return rows.map(walletFromRow);
}

export async function getWallets(db: Queryable, envId: string, walletIds: string[]): Promise<Wallet[]> {
  const { rows } = await db.query<WalletRow>(
    `select ${WALLET_COLUMNS} from wallets where env_id = $1 and id = any($2::bigint[]) order by id`,
    [envId, walletIds],
  );
  return rows.map(walletFromRow);
}
