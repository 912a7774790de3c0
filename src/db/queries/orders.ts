/** Order queries: payments for products, owned by the payment workflow that created them. */
import type { FeeRule, SplitPart } from '../../domain/fees';
import { feeRuleColumn, feeRuleFromColumn } from './fees';
import type { VoidReason } from '../../domain/authorizations';
import type { Order, OrderStatus, PaymentInput } from '../../domain/types';
import type { Pool, PoolClient, Queryable } from '../pool';
import { camelize, type WalletMovementColumns } from '../rows';
import { selectOne, selectUserPage } from '../select';


interface OrderRow extends WalletMovementColumns {
  product_id: string;
  captured_amount: string;
  refunded_amount: string;
  status: OrderStatus;
  transaction_id: string | null;
  failure_code: string | null;
  expires_at: Date | null;
  void_reason: VoidReason | null;
  created_at: Date;
  fee: string;
  splits: SplitPart[];
}

/**
 * An order's columns, its splits included (one index scan of order_splits' primary key).
 * Usable in RETURNING of statements on `orders`; a statement that writes the splits itself
 * does not see them there (one snapshot), so its caller sets them.
 */
const ORDER_COLUMNS =
  `id, env_id, wallet_id, user_id, product_id, amount, captured_amount, refunded_amount, currency, status, transaction_id, failure_code, expires_at, void_reason, created_at,
   fee::text as fee,
   (select coalesce(json_agg(json_build_object('walletId', s.wallet_id::text, 'amount', s.amount::text, 'fee', s.fee::text) order by s.position), '[]'::json)
      from order_splits s where s.order_id = orders.id) as splits`;

const orderFromRow = (r: OrderRow): Order => camelize(r);

/** The splits rows of a new order (fee 0 until it is charged), in one CTE of the order's insert. */
const INSERT_SPLITS = `s as (
       insert into order_splits (order_id, position, wallet_id, amount)
       select o.id, x.position, x.wallet_id, x.amount from o,
         unnest($8::bigint[], $9::bigint[]) with ordinality as x(wallet_id, amount, position)
       on conflict (order_id, position) do nothing
     )`;

function splitParams(o: NewOrder): [string[], string[]] {
  const splits = o.splits ?? [];
  return [splits.map((s) => s.walletId), splits.map((s) => s.amount)];
}

/** A new order's splits as the caller sent them (the insert's RETURNING cannot see its own CTE's rows). */
function withRequestedSplits(order: Order, o: NewOrder): Order {
  if (order.splits.length || !o.splits?.length) return order;
  return { ...order, splits: o.splits.map((s) => ({ walletId: s.walletId, amount: s.amount, fee: '0' })) };
}

/** A payment workflow's order: its input plus the workflow that owns it. */
export type NewOrder = PaymentInput & { workflowId: string };

/** Creates the pending order of a workflow; a retried call returns the same order. */
export async function createPendingOrder(db: Queryable, o: NewOrder): Promise<Order> {
  const { rows } = await db.query<OrderRow>(
    `with o as (
       insert into orders (workflow_id, env_id, wallet_id, user_id, product_id, amount, currency, status)
       values ($1, $2, $3, $4, $5, $6, $7, 'pending')
       on conflict (workflow_id) do update set workflow_id = excluded.workflow_id
       returning ${ORDER_COLUMNS}
     ), ${INSERT_SPLITS}
     select * from o`,
    [o.workflowId, o.envId, o.walletId, o.userId, o.productId, o.amount, o.currency, ...splitParams(o)],
  );
  return withRequestedSplits(orderFromRow(rows[0]!), o);
}

/**
 * createPendingOrder for a payment that charges in the same SQL transaction (payOrder):
 * locks the wallet FOR UPDATE first, in the same statement. Without it the order's
 * foreign key would take a KEY SHARE lock on the wallet, and two payments of one wallet
 * would deadlock, each holding KEY SHARE while waiting for the other's FOR UPDATE.
 * Null when the wallet does not exist.
 *
 * With splits, the sellers' wallets are locked too, all in ascending id order (the order
 * postTransaction locks in), so a payment from A to seller B and one from B to seller A
 * cannot deadlock; the splits' rows are written in the same statement.
 *
 * The order row comes back locked (inserted, or updated by ON CONFLICT: a retry's), so
 * its charge needs no lockOrder; with it, the environment's payment fee rule (read in the
 * same round trip, as getFeeRule would). A named statement (issue 11: planned once per
 * connection, not on every payment).
 */
export async function createPaymentOrder(client: PoolClient, o: NewOrder): Promise<{ order: Order; feeRule: FeeRule | null } | null> {
  const { rows } = await client.query<OrderRow & { fee_rule: Parameters<typeof feeRuleFromColumn>[0] }>({
    name: 'create-payment-order',
    text: `with l as materialized (select id from wallets where id = any($3::bigint || $8::bigint[]) order by id for update),
     w as (select id from l where id = $3),
     o as (
       insert into orders (workflow_id, env_id, wallet_id, user_id, product_id, amount, currency, status)
       select $1::text, $2::bigint, w.id, $4::text, $5::text, $6::bigint, $7::text, 'pending' from w
       on conflict (workflow_id) do update set workflow_id = excluded.workflow_id
       returning ${ORDER_COLUMNS}
     ), ${INSERT_SPLITS}
     select o.*, ${feeRuleColumn('o.env_id', 'o.currency', "'payment'")} as fee_rule from o`,
    values: [o.workflowId, o.envId, o.walletId, o.userId, o.productId, o.amount, o.currency, ...splitParams(o)],
  });
  if (!rows[0]) return null;
  const { fee_rule: feeRule, ...row } = rows[0];
  return { order: withRequestedSplits(orderFromRow(row), o), feeRule: feeRuleFromColumn(feeRule) };
}

/** createPaymentOrder's order alone (an authorization, which holds rather than charges). */
export async function createPendingOrderLockingWallet(client: PoolClient, o: NewOrder): Promise<Order | null> {
  return (await createPaymentOrder(client, o))?.order ?? null;
}

export async function lockOrder(client: PoolClient, orderId: string): Promise<Order | null> {
  const { rows } = await client.query<OrderRow>({ name: 'lock-order', text: `select ${ORDER_COLUMNS} from orders where id = $1 for update`, values: [orderId] });
  return rows[0] ? orderFromRow(rows[0]) : null;
}

/**
 * Completes a charged order with its fee; with splits, each split's part of the fee too
 * (same statement: the RETURNING cannot see that CTE's writes, so the splits are set here).
 */
export async function completeOrder(client: PoolClient, orderId: string, transactionId: string, fee = 0n, splits: SplitPart[] = []): Promise<Order> {
  const { rows } = await client.query<OrderRow>({
    name: 'complete-order',
    text: `with s as (
       update order_splits set fee = x.fee from unnest($4::int[], $5::bigint[]) as x(position, fee)
       where order_id = $1 and order_splits.position = x.position
     )
     update orders set status = 'completed', transaction_id = $2, captured_amount = amount, fee = $3, updated_at = now()
     where id = $1 returning ${ORDER_COLUMNS}`,
    values: [orderId, transactionId, fee.toString(), splits.map((_, i) => i + 1), splits.map((s) => s.fee)],
  });
  const order = orderFromRow(rows[0]!);
  return splits.length ? { ...order, splits } : order;
}

/** Marks a pending order failed. A completed order is left as it is (returns it unchanged). */
export async function failOrder(db: Queryable, orderId: string, failureCode: string): Promise<Order> {
  const { rows } = await db.query<OrderRow>(
    `update orders set status = case when status = 'pending' then 'failed' else status end,
       failure_code = case when status = 'pending' then $2 else failure_code end,
       updated_at = now()
     where id = $1 returning ${ORDER_COLUMNS}`,
    [orderId, failureCode],
  );
  return orderFromRow(rows[0]!);
}

/** A user's orders, newest first, keyset-paginated on id (ids only grow). */
export async function listUserOrders(db: Queryable, envId: string, userId: string, limit: number, beforeId: string | null): Promise<Order[]> {
  const rows = await selectUserPage<OrderRow>(db, { table: 'orders', columns: ORDER_COLUMNS }, { envId, userId, limit, beforeId });
  return rows.map(orderFromRow);
}

export async function findOrder(db: Queryable, envId: string, orderId: string): Promise<Order | null> {
  return selectOne(db, `select ${ORDER_COLUMNS} from orders where id = $1 and env_id = $2`, [orderId, envId], orderFromRow);
}

/** Adds a refund to an order locked by lockOrder: refunded in full or in part (of what was captured). */
export async function addRefund(client: PoolClient, orderId: string, amount: bigint): Promise<Order> {
  const { rows } = await client.query<OrderRow>(
    `update orders set refunded_amount = refunded_amount + $2,
       status = case when refunded_amount + $2 = captured_amount then 'refunded' else 'partially_refunded' end,
       updated_at = now()
     where id = $1 returning ${ORDER_COLUMNS}`,
    [orderId, amount.toString()],
  );
  return orderFromRow(rows[0]!);
}

// Authorizations (issue 12, part 2). Each runs on an order locked by lockOrder, in the SQL
// transaction of its posting; the caller checks the order is `authorized` under that lock.

/** A pending order whose hold was just posted: `authorized` until captured, voided or expired. */
export async function authorizeOrder(client: PoolClient, orderId: string, holdTransactionId: string, ttlSeconds: number): Promise<Order> {
  const { rows } = await client.query<OrderRow>(
    `update orders set status = 'authorized', authorization_transaction_id = $2,
       expires_at = now() + make_interval(secs => $3), updated_at = now()
     where id = $1 and status = 'pending' returning ${ORDER_COLUMNS}`,
    [orderId, holdTransactionId, ttlSeconds],
  );
  return orderFromRow(rows[0]!);
}

/** An authorized order captured (all or part): `completed`, its capture's payment posting. */
export async function captureOrder(
  client: PoolClient,
  orderId: string,
  transactionId: string,
  captured: bigint,
  decisionId: string | null,
  fee = 0n,
  splitFees: bigint[] = [],
): Promise<Order> {
  const { rows } = await client.query<OrderRow>(
    `with f as (
       update order_splits set fee = x.fee from unnest($6::int[], $7::bigint[]) as x(position, fee)
       where order_id = $1 and order_splits.position = x.position
     )
     update orders set status = 'completed', transaction_id = $2, captured_amount = $3, decision_id = $4, fee = $5, updated_at = now()
     where id = $1 and status = 'authorized' returning ${ORDER_COLUMNS}`,
    [orderId, transactionId, captured.toString(), decisionId, fee.toString(), splitFees.map((_, i) => i + 1), splitFees.map((f) => f.toString())],
  );
  const order = orderFromRow(rows[0]!);
  // The RETURNING cannot see the CTE's writes: the splits' fees are set here.
  return splitFees.length ? { ...order, splits: order.splits.map((s, i) => ({ ...s, fee: splitFees[i]!.toString() })) } : order;
}

/** An authorized order released in full: `voided`, with why. */
export async function voidOrder(client: PoolClient, orderId: string, reason: VoidReason, decisionId: string | null): Promise<Order> {
  const { rows } = await client.query<OrderRow>(
    `update orders set status = 'voided', void_reason = $2, decision_id = $3, updated_at = now()
     where id = $1 and status = 'authorized' returning ${ORDER_COLUMNS}`,
    [orderId, reason, decisionId],
  );
  return orderFromRow(rows[0]!);
}

/**
 * One page (by id after `afterId`) of authorizations still holding money past their
 * expires_at, with the workflow that owns each: the hold sweeper's listing (a terminated
 * payment workflow never runs its expiry). A sequential scan of orders, once per sweep
 * (HOLD_SWEEP_INTERVAL_MS); a partial index on status = 'authorized' would make it an
 * index scan if orders grow past what that allows.
 */
export async function listExpiredAuthorizations(db: Queryable, afterId: string | null, limit: number): Promise<{ orderId: string; workflowId: string }[]> {
  const { rows } = await db.query<{ id: string; workflow_id: string }>(
    `select id, workflow_id from orders
     where status = 'authorized' and expires_at <= now() and ($1::bigint is null or id > $1)
     order by id limit $2`,
    [afterId, limit],
  );
  return rows.map((r) => ({ orderId: r.id, workflowId: r.workflow_id }));
}

/** Whether the authorization's time is up, by the database's clock (the capture's refusal). */
export async function authorizationExpiredAt(client: PoolClient, orderId: string): Promise<boolean> {
  const { rows } = await client.query<{ expired: boolean }>('select expires_at <= now() as expired from orders where id = $1', [orderId]);
  return rows[0]?.expired === true;
}

/**
 * An order with the workflow that owns it (an authorization's capture and void are its
 * updates) and the update that decided it, if one did.
 */
export async function findOrderDecision(
  db: Queryable,
  envId: string,
  orderId: string,
): Promise<{ order: Order; workflowId: string; decisionId: string | null } | null> {
  const { rows } = await db.query<OrderRow & { workflow_id: string; decision_id: string | null }>(
    `select ${ORDER_COLUMNS}, workflow_id, decision_id from orders where id = $1 and env_id = $2`,
    [orderId, envId],
  );
  if (!rows[0]) return null;
  const { workflow_id: workflowId, decision_id: decisionId, ...row } = rows[0];
  return { order: orderFromRow(row), workflowId, decisionId };
}

/** The order a payment workflow created, if any. */
export async function findOrderByWorkflow(db: Queryable, workflowId: string): Promise<Order | null> {
  return selectOne(db, `select ${ORDER_COLUMNS} from orders where workflow_id = $1`, [workflowId], orderFromRow);
}
