/** Card top-up rows (migration 017) and their timeline. */
import type { CardTopup, CardTopupAttentionReason, CardTopupEvent, CardTopupStatus, PaymentIntentOutcome } from '../../domain/card-topups';
import type { Pool, PoolClient, Queryable } from '../pool';
import { camelize, type WalletMovementColumns } from '../rows';
import { selectOne } from '../select';
import { setGiven } from '../sql';


interface CardTopupRow extends WalletMovementColumns {
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

const fromRow = (r: CardTopupRow): LockedCardTopup => camelize(r);

/** What the workflow's first step writes: the top-up's terms and the workflow that owns it. */
export type NewCardTopup = Pick<CardTopup, 'workflowId' | 'envId' | 'walletId' | 'userId' | 'amount' | 'currency'>;

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
  return selectOne(client, `select ${COLUMNS} from card_topups where id = $1 for update`, [id], fromRow);
}

/** The webhook's lookup: the event's PaymentIntent id (data.object.id), locked for the event's transaction. */
export async function lockCardTopupByPaymentIntent(client: PoolClient, paymentIntentId: string): Promise<LockedCardTopup | null> {
  return selectOne(client, `select ${COLUMNS} from card_topups where payment_intent_id = $1 for update`, [paymentIntentId], fromRow);
}

export async function findCardTopup(db: Queryable, envId: string, id: string): Promise<LockedCardTopup | null> {
  return selectOne(db, `select ${COLUMNS} from card_topups where env_id = $1 and id = $2`, [envId, id], fromRow);
}

export async function findCardTopupByWorkflow(db: Queryable, workflowId: string): Promise<LockedCardTopup | null> {
  return selectOne(db, `select ${COLUMNS} from card_topups where workflow_id = $1`, [workflowId], fromRow);
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
  const given = setGiven(
    {
      status: c.status,
      payment_intent_id: c.paymentIntentId,
      client_secret: c.clientSecret,
      outcome: c.outcome,
      credit_transaction_id: c.creditTransactionId,
      clearing_transaction_id: c.clearingTransactionId,
      stripe_balance_transaction_id: c.available?.balanceTransactionId,
      stripe_fee: c.available?.fee,
      stripe_fee_currency: c.available?.feeCurrency,
      failure_code: c.failureCode,
      failure_message: c.failureMessage,
      attention_reason: c.attentionReason,
    },
    4,
  );
  // expires_at and available_at are not given but computed on the database's clock.
  const { rows } = await db.query<CardTopupRow>(
    `update card_topups set
       ${given.set},
       expires_at = coalesce(now() + make_interval(secs => $2::double precision / 1000), expires_at),
       available_at = case when $3::text is null then available_at else now() end,
       updated_at = now()
     where id = $1
     returning ${COLUMNS}`,
    [id, c.expiresInMs ?? null, c.available?.balanceTransactionId ?? null, ...given.params],
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
