/** Card top-up rows (migration 017) and their timeline. */
import type { CardTopup, CardTopupAttentionReason, CardTopupEvent, CardTopupStatus, PaymentIntentOutcome } from '../../domain/card-topups';
import type { Currency } from '../../domain/money';
import type { Pool, PoolClient, Queryable } from '../pool';


interface CardTopupRow {
  id: string;
  env_id: string;
  wallet_id: string;
  user_id: string;
  amount: string;
  currency: string;
  status: CardTopupStatus;
  workflow_id: string;
  payment_intent_id: string | null;
  client_secret: string | null;
  expires_at: Date | null;
  outcome: PaymentIntentOutcome['status'] | null;
  credit_transaction_id: string | null;
  available_at: Date | null;
  stripe_balance_transaction_id: string | null;
  stripe_fee: string | null;
  stripe_fee_currency: string | null;
  failure_code: string | null;
  failure_message: string | null;
  attention_reason: CardTopupAttentionReason | null;
  created_at: Date;
  updated_at: Date;
}

const COLUMNS =
  'id, env_id, wallet_id, user_id, amount, currency, status, workflow_id, payment_intent_id, client_secret, expires_at, outcome, ' +
  'credit_transaction_id, available_at, stripe_balance_transaction_id, stripe_fee, stripe_fee_currency, failure_code, failure_message, ' +
  'attention_reason, created_at, updated_at';

/** The row with the first outcome the webhook recorded (the expiry's arbiter). */
export type LockedCardTopup = CardTopup & { outcome: PaymentIntentOutcome['status'] | null };

function fromRow(r: CardTopupRow): LockedCardTopup {
  return {
    id: r.id,
    envId: r.env_id,
    walletId: r.wallet_id,
    userId: r.user_id,
    amount: r.amount,
    currency: r.currency as Currency,
    status: r.status,
    workflowId: r.workflow_id,
    paymentIntentId: r.payment_intent_id,
    clientSecret: r.client_secret,
    expiresAt: r.expires_at?.toISOString() ?? null,
    outcome: r.outcome,
    creditTransactionId: r.credit_transaction_id,
    availableAt: r.available_at?.toISOString() ?? null,
    stripeBalanceTransactionId: r.stripe_balance_transaction_id,
    stripeFee: r.stripe_fee,
    stripeFeeCurrency: r.stripe_fee_currency,
    failureCode: r.failure_code,
    failureMessage: r.failure_message,
    attentionReason: r.attention_reason,
    createdAt: r.created_at.toISOString(),
    updatedAt: r.updated_at.toISOString(),
  };
}

export interface NewCardTopup {
  workflowId: string;
  envId: string;
  walletId: string;
  userId: string;
  amount: string;
  currency: Currency;
}

/** Inserts the workflow's top-up; a retried call returns the existing row. */
export async function insertCardTopup(client: PoolClient, t: NewCardTopup): Promise<LockedCardTopup> {
  const { rows } = await client.query<CardTopupRow>(
    `insert into card_topups (workflow_id, env_id, wallet_id, user_id, amount, currency, status)
     values ($1, $2, $3, $4, $5, $6, 'requires_payment')
     on conflict (workflow_id) do update set workflow_id = excluded.workflow_id
     returning ${COLUMNS}`,
    [t.workflowId, t.envId, t.walletId, t.userId, t.amount, t.currency],
  );
  return fromRow(rows[0]!);
}

export async function lockCardTopup(client: PoolClient, id: string): Promise<LockedCardTopup | null> {
  const { rows } = await client.query<CardTopupRow>(`select ${COLUMNS} from card_topups where id = $1 for update`, [id]);
  return rows[0] ? fromRow(rows[0]) : null;
}

/** The webhook's lookup: the event's PaymentIntent id (data.object.id), locked for the event's transaction. */
export async function lockCardTopupByPaymentIntent(client: PoolClient, paymentIntentId: string): Promise<LockedCardTopup | null> {
  const { rows } = await client.query<CardTopupRow>(`select ${COLUMNS} from card_topups where payment_intent_id = $1 for update`, [paymentIntentId]);
  return rows[0] ? fromRow(rows[0]) : null;
}

export async function findCardTopup(db: Queryable, envId: string, id: string): Promise<LockedCardTopup | null> {
  const { rows } = await db.query<CardTopupRow>(`select ${COLUMNS} from card_topups where env_id = $1 and id = $2`, [envId, id]);
  return rows[0] ? fromRow(rows[0]) : null;
}

export async function findCardTopupByWorkflow(db: Queryable, workflowId: string): Promise<LockedCardTopup | null> {
  const { rows } = await db.query<CardTopupRow>(`select ${COLUMNS} from card_topups where workflow_id = $1`, [workflowId]);
  return rows[0] ? fromRow(rows[0]) : null;
}

export interface CardTopupChange {
  status?: CardTopupStatus;
  paymentIntentId?: string;
  clientSecret?: string;
  /** Sets expires_at to now() + this many ms (the database's clock, not the workflow's). */
  expiresInMs?: number;
  outcome?: PaymentIntentOutcome['status'];
  creditTransactionId?: string;
  clearingTransactionId?: string;
  available?: { balanceTransactionId: string; fee: string | null; feeCurrency: string | null };
  failureCode?: string | null;
  failureMessage?: string | null;
  attentionReason?: CardTopupAttentionReason;
}

export async function updateCardTopup(db: Queryable, id: string, c: CardTopupChange): Promise<LockedCardTopup> {
  const { rows } = await db.query<CardTopupRow>(
    `update card_topups set
       status = coalesce($2, status),
       payment_intent_id = coalesce($3, payment_intent_id),
       client_secret = coalesce($4, client_secret),
       expires_at = coalesce(now() + make_interval(secs => $5::double precision / 1000), expires_at),
       outcome = coalesce($6, outcome),
       credit_transaction_id = coalesce($7, credit_transaction_id),
       clearing_transaction_id = coalesce($8, clearing_transaction_id),
       available_at = case when $9::text is null then available_at else now() end,
       stripe_balance_transaction_id = coalesce($9, stripe_balance_transaction_id),
       stripe_fee = coalesce($10, stripe_fee),
       stripe_fee_currency = coalesce($11, stripe_fee_currency),
       failure_code = coalesce($12, failure_code),
       failure_message = coalesce($13, failure_message),
       attention_reason = coalesce($14, attention_reason),
       updated_at = now()
     where id = $1
     returning ${COLUMNS}`,
    [
      id,
      c.status ?? null,
      c.paymentIntentId ?? null,
      c.clientSecret ?? null,
      c.expiresInMs ?? null,
      c.outcome ?? null,
      c.creditTransactionId ?? null,
      c.clearingTransactionId ?? null,
      c.available?.balanceTransactionId ?? null,
      c.available?.fee ?? null,
      c.available?.feeCurrency ?? null,
      c.failureCode ?? null,
      c.failureMessage ?? null,
      c.attentionReason ?? null,
    ],
  );
  return fromRow(rows[0]!);
}

/** Appends a timeline step; the same key again (a retried activity, a redelivered event) is a no-op. */
export async function addCardTopupEvent(db: Queryable, topupId: string, key: string, step: string, detail: Record<string, unknown> = {}): Promise<boolean> {
  const { rowCount } = await db.query(
    `insert into card_topup_events (topup_id, key, step, detail) values ($1, $2, $3, $4) on conflict (topup_id, key) do nothing`,
    [topupId, key, step, JSON.stringify(detail)],
  );
  return (rowCount ?? 0) > 0;
}

export async function listCardTopupEvents(db: Queryable, topupId: string): Promise<CardTopupEvent[]> {
  const { rows } = await db.query<{ step: string; detail: Record<string, unknown>; created_at: Date }>(
    'select step, detail, created_at from card_topup_events where topup_id = $1 order by id',
    [topupId],
  );
  return rows.map((r) => ({ step: r.step, detail: r.detail, at: r.created_at.toISOString() }));
}
