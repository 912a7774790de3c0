/** Withdrawal rows, their timeline, users' Stripe accounts and handled Stripe event ids. */
import { timingSafeEqual } from 'node:crypto';
import type { Currency } from '../../domain/money';
import type { Withdrawal, WithdrawalEvent, WithdrawalStatus } from '../../domain/withdrawals';
import type { PoolClient, Queryable } from '../pool';
import { camelize, type WalletMovementColumns } from '../rows';
import { selectOne, selectUserPage } from '../select';
import { setGiven } from '../sql';


interface WithdrawalRow extends WalletMovementColumns {
  fee: string;
  status: WithdrawalStatus;
  workflow_id: string;
  stripe_account_id: string | null;
  stripe_transfer_id: string | null;
  stripe_payout_id: string | null;
  failure_code: string | null;
  failure_message: string | null;
  created_at: Date;
  updated_at: Date;
}

const COLUMNS =
  'id, env_id, wallet_id, user_id, amount, fee, currency, status, workflow_id, stripe_account_id, stripe_transfer_id, stripe_payout_id, failure_code, failure_message, created_at, updated_at';

const fromRow = (r: WithdrawalRow): Withdrawal => camelize(r);

/** What the workflow's hold writes: the withdrawal's terms, the workflow that owns it and its hold posting. */
export type NewWithdrawal = Pick<Withdrawal, 'workflowId' | 'envId' | 'walletId' | 'userId' | 'amount' | 'currency'> & {
  holdTransactionId: string;
  /** Minor units; 0 without a withdrawal fee. */
  fee?: string;
};

/**
 * The id the withdrawal of this workflow has or will have: the existing row's (a retried
 * hold), else a fresh one from the identity's sequence. Drawn before the hold is posted so
 * that the hold's reference names the withdrawal like its release's or settle's does.
 */
export async function withdrawalIdFor(client: PoolClient, workflowId: string): Promise<string> {
  const { rows } = await client.query<{ id: string }>(
    `select coalesce((select id from withdrawals where workflow_id = $1), nextval(pg_get_serial_sequence('withdrawals', 'id')))::text as id`,
    [workflowId],
  );
  return rows[0]!.id;
}

/** Inserts the workflow's withdrawal; a retried call returns the existing row. */
export async function insertWithdrawal(client: PoolClient, w: NewWithdrawal & { id: string }): Promise<Withdrawal> {
  const { rows } = await client.query<WithdrawalRow>(
    `insert into withdrawals (id, workflow_id, env_id, wallet_id, user_id, amount, currency, status, hold_transaction_id, fee)
     overriding system value
     values ($8, $1, $2, $3, $4, $5, $6, 'awaiting_onboarding', $7, $9)
     on conflict (workflow_id) do update set workflow_id = excluded.workflow_id
     returning ${COLUMNS}`,
    [w.workflowId, w.envId, w.walletId, w.userId, w.amount, w.currency, w.holdTransactionId, w.id, w.fee ?? '0'],
  );
  return fromRow(rows[0]!);
}

/**
 * Serializes the withdrawal-limit check of one environment and currency until the end of
 * the caller's SQL transaction (a transaction-level advisory lock): two holds cannot both
 * read the same total and both pass. Topups, payments and transfers never take it.
 */
export async function lockWithdrawalLimit(client: PoolClient, envId: string, currency: Currency): Promise<void> {
  await client.query(`select pg_advisory_xact_lock(hashtextextended('withdrawal-limit:' || $1::text || ':' || $2::text, 0))`, [
    envId,
    currency,
  ]);
}

/**
 * What counts toward the environment's withdrawal limit, in minor units: every withdrawal
 * that has not ended with its money back in the wallet (in flight, or any status in which
 * money may have left), and those paid in the last 24 hours: counted from the settle posting
 * (`final_transaction_id`), so a withdrawal settled long ago and acknowledged by an operator
 * today (`withdrawals resolve --outcome acknowledged`) opens no new 24-hour window. The
 * `updated_at` bound (a settle is never later than the status change) keeps the index range.
 */
export async function withdrawalsTowardLimit(client: PoolClient, envId: string, currency: Currency): Promise<bigint> {
  const { rows } = await client.query<{ total: string }>(
    `select coalesce(sum(amount), 0)::text as total from withdrawals
     where env_id = $1 and currency = $2
       and status not in ('failed', 'canceled', 'expired')
       and (status <> 'paid' or (updated_at > now() - interval '24 hours'
             and (select t.created_at from ledger_transactions t where t.id = final_transaction_id) > now() - interval '24 hours'))`,
    [envId, currency],
  );
  return BigInt(rows[0]!.total);
}

export async function lockWithdrawal(client: PoolClient, id: string): Promise<Withdrawal | null> {
  return selectOne(client, `select ${COLUMNS} from withdrawals where id = $1 for update`, [id], fromRow);
}

export async function findWithdrawal(db: Queryable, envId: string, id: string): Promise<Withdrawal | null> {
  return selectOne(db, `select ${COLUMNS} from withdrawals where id = $1 and env_id = $2`, [id, envId], fromRow);
}

/** The withdrawal that recorded this Stripe transfer or payout id (reconciliation). */
export async function findWithdrawalByStripeId(db: Queryable, kind: 'transfer' | 'payout', stripeId: string): Promise<Withdrawal | null> {
  const column = kind === 'transfer' ? 'stripe_transfer_id' : 'stripe_payout_id';
  return selectOne(db, `select ${COLUMNS} from withdrawals where ${column} = $1 order by id limit 1`, [stripeId], fromRow);
}

export async function findWithdrawalById(db: Queryable, id: string): Promise<Withdrawal | null> {
  return selectOne(db, `select ${COLUMNS} from withdrawals where id = $1`, [id], fromRow);
}

export async function findWithdrawalByWorkflow(db: Queryable, workflowId: string): Promise<Withdrawal | null> {
  return selectOne(db, `select ${COLUMNS} from withdrawals where workflow_id = $1`, [workflowId], fromRow);
}

/** Withdrawals of a user waiting for their connected account to be ready. */
export async function findAwaitingOnboarding(db: Queryable, envId: string, userId: string): Promise<Withdrawal[]> {
  const { rows } = await db.query<WithdrawalRow>(
    `select ${COLUMNS} from withdrawals where env_id = $1 and user_id = $2 and status = 'awaiting_onboarding' order by id`,
    [envId, userId],
  );
  return rows.map(fromRow);
}

export async function listUserWithdrawals(db: Queryable, envId: string, userId: string, limit: number, beforeId: string | null): Promise<Withdrawal[]> {
  const rows = await selectUserPage<WithdrawalRow>(db, { table: 'withdrawals', columns: COLUMNS }, { envId, userId, limit, beforeId });
  return rows.map(fromRow);
}

export interface WithdrawalChange {
  status?: WithdrawalStatus;
  stripeAccountId?: string;
  stripeTransferId?: string;
  stripePayoutId?: string;
  failureCode?: string | null;
  failureMessage?: string | null;
  finalTransactionId?: string;
}

/** Applies the given fields (the others stay) and returns the row. */
export async function updateWithdrawal(db: Queryable, id: string, c: WithdrawalChange): Promise<Withdrawal> {
  const given = setGiven(
    {
      status: c.status,
      stripe_account_id: c.stripeAccountId,
      stripe_transfer_id: c.stripeTransferId,
      stripe_payout_id: c.stripePayoutId,
      final_transaction_id: c.finalTransactionId,
    },
    5,
  );
  // The failure's code and message are written together whenever either is given: a
  // change may clear them to null, which setGiven cannot express.
  const { rows } = await db.query<WithdrawalRow>(
    `update withdrawals set
       ${given.set},
       failure_code = case when $2::boolean then $3 else failure_code end,
       failure_message = case when $2::boolean then $4 else failure_message end,
       updated_at = now()
     where id = $1 returning ${COLUMNS}`,
    [id, c.failureCode !== undefined || c.failureMessage !== undefined, c.failureCode ?? null, c.failureMessage ?? null, ...given.params],
  );
  return fromRow(rows[0]!);
}

/** Appends a timeline step; the same seq again (a retried activity) is a no-op. */
export async function addWithdrawalEvent(
  db: Queryable,
  withdrawalId: string,
  seq: number,
  step: string,
  detail: Record<string, unknown>,
): Promise<void> {
  await db.query(
    `insert into withdrawal_events (withdrawal_id, seq, step, detail) values ($1, $2, $3, $4)
     on conflict (withdrawal_id, seq) do nothing`,
    [withdrawalId, seq, step, JSON.stringify(detail)],
  );
}

export async function listWithdrawalEvents(db: Queryable, withdrawalId: string): Promise<WithdrawalEvent[]> {
  const { rows } = await db.query<{ seq: number; step: string; detail: Record<string, unknown>; created_at: Date }>(
    'select seq, step, detail, created_at from withdrawal_events where withdrawal_id = $1 order by seq',
    [withdrawalId],
  );
  return rows.map((r) => ({ seq: r.seq, step: r.step, detail: r.detail, at: r.created_at.toISOString() }));
}

export interface StripeAccountRow {
  envId: string;
  userId: string;
  stripeAccountId: string;
  payoutsEnabled: boolean;
}

export async function findStripeAccount(db: Queryable, envId: string, userId: string): Promise<StripeAccountRow | null> {
  const { rows } = await db.query<{ stripe_account_id: string; payouts_enabled: boolean }>(
    'select stripe_account_id, payouts_enabled from stripe_accounts where env_id = $1 and user_id = $2',
    [envId, userId],
  );
  const r = rows[0];
  return r ? { envId, userId, stripeAccountId: r.stripe_account_id, payoutsEnabled: r.payouts_enabled } : null;
}

/**
 * Stores the user's account unless one exists already, and returns the stored one: two
 * withdrawals racing to create an account end up using the same (first) one.
 */
export async function saveStripeAccount(db: Queryable, envId: string, userId: string, stripeAccountId: string): Promise<StripeAccountRow> {
  await db.query(
    `insert into stripe_accounts (env_id, user_id, stripe_account_id) values ($1, $2, $3) on conflict (env_id, user_id) do nothing`,
    [envId, userId, stripeAccountId],
  );
  return (await findStripeAccount(db, envId, userId))!;
}

/** Records what Stripe says about the account; false when the row does not name this account. */
export async function setPayoutsEnabled(
  db: Queryable,
  envId: string,
  userId: string,
  stripeAccountId: string,
  payoutsEnabled: boolean,
): Promise<boolean> {
  const { rowCount } = await db.query(
    `update stripe_accounts set payouts_enabled = $4, updated_at = now()
     where env_id = $1 and user_id = $2 and stripe_account_id = $3`,
    [envId, userId, stripeAccountId, payoutsEnabled],
  );
  return (rowCount ?? 0) > 0;
}

/** Records a Stripe event id; false when it was handled before (a redelivery). */
export async function recordStripeEvent(db: Queryable, id: string, type: string): Promise<boolean> {
  const { rowCount } = await db.query('insert into stripe_events (id, type) values ($1, $2) on conflict (id) do nothing', [id, type]);
  return (rowCount ?? 0) > 0;
}

/** Undoes recordStripeEvent when the event could not be delivered (src/services/stripe-events.ts): Stripe sends it again. */
export async function forgetStripeEvent(db: Queryable, id: string): Promise<void> {
  await db.query('delete from stripe_events where id = $1', [id]);
}

/** The token the onboarding return/refresh URLs of this withdrawal carry. */
export async function findLinkToken(db: Queryable, withdrawalId: string): Promise<string | null> {
  const { rows } = await db.query<{ link_token: string }>('select link_token from withdrawals where id = $1', [withdrawalId]);
  return rows[0]?.link_token ?? null;
}

/** A withdrawal by id and link token (the unauthenticated return/refresh URLs); null unless both match. */
export async function findWithdrawalByLink(db: Queryable, id: string, token: string): Promise<Withdrawal | null> {
  const { rows } = await db.query<WithdrawalRow & { link_token: string }>(
    `select ${COLUMNS}, link_token from withdrawals where id = $1`,
    [id],
  );
  if (!rows[0]) return null;
  const { link_token: linkToken, ...row } = rows[0];
  return sameToken(linkToken, token) ? fromRow(row) : null;
}

function sameToken(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** The next timeline position of a withdrawal whose workflow no longer writes to it (sweeper, late webhooks). */
export async function nextWithdrawalSeq(db: Queryable, withdrawalId: string): Promise<number> {
  const { rows } = await db.query<{ next: number }>(
    'select coalesce(max(seq), -1)::int + 1 as next from withdrawal_events where withdrawal_id = $1',
    [withdrawalId],
  );
  return rows[0]!.next;
}

/** Withdrawals still holding money (in flight), by id after `afterId`: the hold sweeper's candidates. */
export async function listHoldingWithdrawals(db: Queryable, afterId: string | null, limit: number): Promise<Withdrawal[]> {
  const { rows } = await db.query<WithdrawalRow>(
    `select ${COLUMNS} from withdrawals
     where status in ('awaiting_onboarding', 'processing') and ($1::bigint is null or id > $1)
     order by id limit $2`,
    [afterId, limit],
  );
  return rows.map(fromRow);
}

/** How many fresh onboarding links the refresh URL has asked for (timeline steps). */
export async function countLinkRefreshes(db: Queryable, withdrawalId: string): Promise<number> {
  const { rows } = await db.query<{ n: number }>(
    `select count(*)::int as n from withdrawal_events where withdrawal_id = $1 and step = 'onboarding_link_refreshed'`,
    [withdrawalId],
  );
  return rows[0]!.n;
}
