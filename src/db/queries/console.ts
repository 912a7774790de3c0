/**
 * Read-only queries for the operator console (/console). Each takes an optional
 * environment filter and a row limit; none takes a lock or writes.
 */
import type { Pool } from '../pool';
import type { LedgerTransactionColumns, WalletMovementColumns } from '../rows';

export interface EnvironmentRow {
  id: string;
  name: string;
  created_at: Date;
  wallets: number;
  active_secrets: number;
}

export async function consoleEnvironments(pool: Pool): Promise<EnvironmentRow[]> {
  const { rows } = await pool.query<EnvironmentRow>(
    `select e.id, e.name, e.created_at,
       (select count(*)::int from wallets w where w.env_id = e.id) as wallets,
       (select count(*)::int from environment_secrets s where s.env_id = e.id and (s.expires_at is null or s.expires_at > now())) as active_secrets
     from environments e order by e.id`,
  );
  return rows;
}

export interface ConsoleWalletRow {
  id: string;
  env_id: string;
  user_id: string;
  currency: string;
  status: string;
  balance: string;
  held: string;
  updated_at: Date;
}

export async function consoleWallets(pool: Pool, envId: string | null, limit: number): Promise<ConsoleWalletRow[]> {
  const { rows } = await pool.query<ConsoleWalletRow>(
    `select id, env_id, user_id, currency, status, balance, held, updated_at from wallets
     where ($1::bigint is null or env_id = $1) order by updated_at desc, id desc limit $2`,
    [envId, limit],
  );
  return rows;
}

export interface TransactionRow extends LedgerTransactionColumns {
  created_at: Date;
  wallet_ids: string[];
}

export async function consoleTransactions(pool: Pool, envId: string | null, limit: number): Promise<TransactionRow[]> {
  const { rows } = await pool.query<TransactionRow>(
    `select t.id, t.env_id, t.type, t.currency, t.amount, t.reference, t.idempotency_id, t.created_at,
       coalesce((select array_agg(p.wallet_id::text order by p.id) from ledger_postings p
                 where p.transaction_id = t.id and p.wallet_id is not null), '{}') as wallet_ids
     from ledger_transactions t where ($1::bigint is null or t.env_id = $1)
     order by t.id desc limit $2`,
    [envId, limit],
  );
  return rows;
}

export interface ConsoleOrderRow extends WalletMovementColumns {
  product_id: string;
  status: string;
  failure_code: string | null;
  workflow_id: string;
  created_at: Date;
}

export async function consoleOrders(pool: Pool, envId: string | null, limit: number): Promise<ConsoleOrderRow[]> {
  const { rows } = await pool.query<ConsoleOrderRow>(
    `select id, env_id, wallet_id, user_id, product_id, amount, currency, status, failure_code, workflow_id, created_at
     from orders where ($1::bigint is null or env_id = $1) order by id desc limit $2`,
    [envId, limit],
  );
  return rows;
}

export interface ConsoleWithdrawalRow extends WalletMovementColumns {
  status: string;
  failure_code: string | null;
  created_at: Date;
  updated_at: Date;
  workflow_id: string;
}

const WITHDRAWAL_COLUMNS = 'id, env_id, wallet_id, user_id, amount, currency, status, failure_code, created_at, updated_at, workflow_id';

export async function consoleWithdrawals(pool: Pool, envId: string | null, limit: number): Promise<ConsoleWithdrawalRow[]> {
  const { rows } = await pool.query<ConsoleWithdrawalRow>(
    `select ${WITHDRAWAL_COLUMNS} from withdrawals where ($1::bigint is null or env_id = $1) order by id desc limit $2`,
    [envId, limit],
  );
  return rows;
}

/**
 * Withdrawals still holding their amount (awaiting onboarding or processing) after more
 * than a day: a user still waiting, or a workflow stuck on Stripe. Oldest first; the
 * partial index withdrawals_holding keeps the scan to the ones in flight.
 */
export async function consoleOldHolds(pool: Pool, envId: string | null, limit: number): Promise<ConsoleWithdrawalRow[]> {
  const { rows } = await pool.query<ConsoleWithdrawalRow>(
    `select ${WITHDRAWAL_COLUMNS} from withdrawals
      where status in ('awaiting_onboarding', 'processing') and created_at < now() - interval '1 day'
        and ($1::bigint is null or env_id = $1)
      order by created_at limit $2`,
    [envId, limit],
  );
  return rows;
}

export interface FailingEndpointRow {
  id: string;
  env_id: string;
  url: string;
  /** Deliveries still being retried whose last attempt failed. */
  retrying: number;
  /** Deliveries given up on (retry budget spent, or an address refused) in the last 7 days. */
  failed_7d: number;
  last_status_code: number | null;
  last_failure_at: Date;
}

/**
 * Enabled webhook endpoints that are failing: a delivery being retried after a failed
 * attempt, or one given up on in the last 7 days. Most recent failure first. Reads the
 * pending deliveries through webhook_deliveries_endpoint_pending and the failed ones
 * through webhook_deliveries_failed (migration 021).
 */
export async function consoleFailingEndpoints(pool: Pool, envId: string | null, limit: number): Promise<FailingEndpointRow[]> {
  const { rows } = await pool.query<FailingEndpointRow>(
    `with failing as (
       select d.endpoint_id, d.status, d.last_status_code, d.updated_at from webhook_deliveries d
        where d.status = 'pending' and d.attempts > 0
       union all
       select d.endpoint_id, d.status, d.last_status_code, d.updated_at from webhook_deliveries d
        where d.status = 'failed' and d.updated_at > now() - interval '7 days'
     )
     select e.id, e.env_id, e.url,
            count(*) filter (where f.status = 'pending')::int as retrying,
            count(*) filter (where f.status = 'failed')::int as failed_7d,
            (array_agg(f.last_status_code order by f.updated_at desc))[1] as last_status_code,
            max(f.updated_at) as last_failure_at
       from failing f join webhook_endpoints e on e.id = f.endpoint_id
      where e.status = 'enabled' and ($1::bigint is null or e.env_id = $1)
      group by e.id
      order by last_failure_at desc limit $2`,
    [envId, limit],
  );
  return rows;
}

export interface VolumeRow {
  day: string;
  currency: string;
  type: string;
  amount: string;
  count: number;
}

/**
 * Daily volume of ledger transactions over the last `days` days (UTC), by currency and type.
 * Deposits (money into an environment's funding float, not a wallet movement; one can be
 * a billion) are left out, so they do not flatten every other bar; the ledger transactions list shows them.
 */
export async function consoleDailyVolume(pool: Pool, envId: string | null, days: number): Promise<VolumeRow[]> {
  const { rows } = await pool.query<VolumeRow>(
    `select to_char(date_trunc('day', created_at at time zone 'UTC'), 'YYYY-MM-DD') as day, currency, type,
       sum(amount)::text as amount, count(*)::int as count
     from ledger_transactions
     where ($1::bigint is null or env_id = $1) and created_at >= (now() at time zone 'UTC')::date - ($2::int - 1)
       and type <> 'deposit'
     group by 1, 2, 3 order by 1, 2, 3`,
    [envId, days],
  );
  return rows;
}

export interface AttentionRow extends WalletMovementColumns {
  failure_code: string | null;
  failure_message: string | null;
  stripe_transfer_id: string | null;
  stripe_payout_id: string | null;
  held: boolean;
  workflow_id: string;
  updated_at: Date;
}

/** Withdrawals an operator must decide on (status needs_attention), most recent first. */
export async function consoleNeedsAttention(pool: Pool, envId: string | null, limit: number): Promise<AttentionRow[]> {
  const { rows } = await pool.query<AttentionRow>(
    `select id, env_id, wallet_id, user_id, amount, currency, failure_code, failure_message, stripe_transfer_id,
            stripe_payout_id, final_transaction_id is null as held, workflow_id, updated_at
     from withdrawals where status = 'needs_attention' and ($1::bigint is null or env_id = $1)
     order by updated_at desc limit $2`,
    [envId, limit],
  );
  return rows;
}
