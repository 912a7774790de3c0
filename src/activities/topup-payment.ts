/**
 * Topup and payment activities: each is one SQL transaction around postTransaction, idempotent
 * by the idempotency id the workflow passes (workflow id + step).
 */
import { postings } from '../domain/postings';
import { BUSINESS_ERROR_CODES, DATABASE_ERROR, DomainError, type ErrorCode } from '../domain/errors';
import { isPermanentDatabaseError } from './failures';
import type { Currency } from '../domain/money';
import type { Order, PaymentResult, TopupResult } from '../domain/types';
import { postTransaction } from '../db/ledger';
import { postOrderMovement } from './order-posting';
import { withTransaction, type Pool, type PoolClient } from '../db/pool';
import { completeOrder, createPaymentOrder, createPendingOrder, failOrder as markOrderFailed, lockOrder, type NewOrder } from '../db/queries/orders';
import { recordEvent } from '../db/queries/outbox';
import { getFeeRule, recordFeePayers } from '../db/queries/fees';
import { computeFee, splitFees, type FeeRule } from '../domain/fees';
import { checkSplits, namingSeller, paymentLegs } from '../domain/splits';
import { getWallets } from '../db/queries/wallets';
// The webhook body carries the same wire shapes as the API's answers.
import { money } from '../wire/money';
import { presentOrder, presentWallet } from '../wire/present';

export interface TopupWalletInput {
  idempotencyId: string;
  envId: string;
  walletId: string;
  amount: string;
  currency: Currency;
}

/** One payment of a coalesced batch (payOrders): its order and its own ledger idempotency id. */
export type BatchPayment = NewOrder & { idempotencyId: string };

/** A batch payment's outcome: its result, or the refusal (or data error) that failed it alone. */
export type BatchPaymentOutcome =
  | { ok: true; result: PaymentResult }
  | { ok: false; type: string; message: string; details: Record<string, unknown> };

export interface ChargeOrderInput {
  idempotencyId: string;
  orderId: string;
}

/**
 * Debit to revenue (and sellers' splits, fees) + complete the order + outbox event,
 * inside the caller's SQL transaction. The payment's fee is read from the schedule
 * while the order is pending; a completed order (a replay) answers with what it posted.
 */
async function charge(client: PoolClient, input: ChargeOrderInput): Promise<PaymentResult> {
  const order = await lockOrder(client, input.orderId);
  if (!order) throw new DomainError('not_found', `order ${input.orderId} not found`);
  return chargeLocked(client, order, input.idempotencyId);
}

/**
 * charge of an order the caller has locked (lockOrder, or payIn's insert, which returns the
 * row locked). `feeRule`: the environment's payment fee rule when the caller read it with
 * the order (payIn: one round trip fewer); absent, it is read here for a pending order.
 */
async function chargeLocked(client: PoolClient, order: Order, idempotencyId: string, feeRule?: FeeRule | null): Promise<PaymentResult> {
  if (order.status === 'failed') {
    // The workflow recorded this order's refusal, and its task is being run again (a
    // workflow task that outlived its timeout re-runs its local activities): answer the
    // same refusal, so the client gets the first answer's code, not a conflict.
    const code = order.failureCode as ErrorCode | null;
    if (code && BUSINESS_ERROR_CODES.includes(code)) {
      throw new DomainError(code, `order ${order.id} was refused (${code})`, { order_id: order.id });
    }
    throw new DomainError('conflict', `order ${order.id} already failed (${order.failureCode})`);
  }
  const amount = BigInt(order.amount);
  const pending = order.status === 'pending';
  const fee = pending ? computeFee(amount, feeRule !== undefined ? feeRule : await getFeeRule(client, order.envId, order.currency, 'payment')) : BigInt(order.fee);
  if (pending) checkSplits(amount, order.walletId, order.splits);
  const parts = pending ? splitFees(amount, fee, order.splits) : order.splits;
  const payment = postings.payment(order.walletId, amount, order.id, paymentLegs(order.walletId, amount, fee, parts));
  const posted = await postOrderMovement(client, order, idempotencyId, payment).catch((err: unknown) => {
    throw namingSeller(err, parts);
  });
  let completed = order;
  if (pending) {
    completed = await completeOrder(client, order.id, posted.transactionId, fee, parts);
    await recordFeePayers(client, posted.transactionId, parts.length ? parts.map((p) => ({ walletId: p.walletId, amount: BigInt(p.fee) })) : [{ walletId: null, amount: fee }]);
  }
  const wallet = posted.wallets.find((w) => w.id === order.walletId) ?? (await getWallets(client, order.envId, [order.walletId]))[0];
  if (pending) {
    await recordEvent(client, order.envId, 'payment.completed', { order: presentOrder(completed), wallet: presentWallet(wallet!) });
  }
  return { order: completed, wallet: wallet! };
}

/** A topup's posting and its outbox event, inside the caller's SQL transaction (topupWallet, batches). */
export async function topupIn(client: PoolClient, input: TopupWalletInput): Promise<TopupResult> {
  const amount = BigInt(input.amount);
  const posted = await postTransaction(client, {
    idempotencyId: input.idempotencyId,
    envId: input.envId,
    currency: input.currency,
    ...postings.topup(input.walletId, amount),
  });
  // Outbox: the event commits with the posting, and a replay records none.
  if (!posted.replayed) {
    await recordEvent(client, input.envId, 'topup.completed', {
      transaction_id: posted.transactionId,
      amount: money(amount, input.currency),
      wallet: presentWallet(posted.wallets[0]!),
    });
  }
  return { transactionId: posted.transactionId, wallet: posted.wallets[0]! };
}

/**
 * A payment's order and charge inside the caller's SQL transaction (payOrder, batches):
 * the pending order (locking the wallet, read with its fee rule) → debit to revenue →
 * order completed → event.
 */
export async function payIn(client: PoolClient, input: NewOrder & { idempotencyId: string }): Promise<PaymentResult> {
  const { idempotencyId, ...order } = input;
  const created = await createPaymentOrder(client, order);
  if (!created) throw new DomainError('not_found', `wallet ${order.walletId} not found`, { wallet_id: order.walletId });
  return chargeLocked(client, created.order, idempotencyId, created.feeRule);
}

export function createTopupPaymentActivities({ pool }: { pool: Pool }) {
  return {
    /** Credits the wallet from the environment's funding account. */
    async topupWallet(input: TopupWalletInput): Promise<TopupResult> {
      return withTransaction(pool, (client) => topupIn(client, input));
    },

    /** Records the order as pending; the same workflow gets the same order back. */
    async createOrder(input: NewOrder): Promise<Order> {
      return createPendingOrder(pool, input);
    },

    /**
     * Debits the wallet to revenue and completes the order in one SQL transaction, so
     * there is no instant where money moved and the order says otherwise.
     */
    async chargeOrder(input: ChargeOrderInput): Promise<PaymentResult> {
      return withTransaction(pool, (client) => charge(client, input));
    },

    /**
     * createOrder + chargeOrder as ONE local activity and one SQL transaction (issue 11:
     * one activation and one transaction fewer per payment). A refusal or an error rolls
     * the order back with the debit; the workflow then records the order as failed with
     * createOrder + failOrder, as the two-step path leaves it. A retry after a commit
     * finds the order completed and the posting replayed: it answers the same.
     */
    async payOrder(input: NewOrder & { idempotencyId: string }): Promise<PaymentResult> {
      return withTransaction(pool, (client) => payIn(client, input));
    },

    /**
     * Coalesced payments (PAYMENT_COALESCE, the walletPayments workflow): every payment of
     * the batch in ONE SQL transaction, decided in order. Each runs as payOrder does inside
     * a savepoint; a refusal (insufficient funds, …) or a data error rolls back that payment
     * alone, records its order as failed (with a payment.failed event) and the others go
     * on. Each payment keeps its own order (workflow_id = the payment's id) and ledger
     * idempotency id, so a retry after a lost commit answers every payment the same and
     * posts nothing twice. Any other error (Postgres down, a deadlock) fails the batch:
     * the activity's retry runs it all again.
     *
     * The payments are decided in wallet id order (stable: one wallet's payments keep
     * their order) and answered in input order. Each holds its wallet's lock to the
     * commit, so a batch spanning wallets (paymentBatch) must take them in the one lock
     * order postTransaction uses, or two concurrent batches could deadlock.
     */
    async payOrders(input: { payments: BatchPayment[] }): Promise<BatchPaymentOutcome[]> {
      return withTransaction(pool, async (client) => {
        const outcomes: BatchPaymentOutcome[] = new Array(input.payments.length);
        for (const i of inWalletOrder(input.payments)) {
          const p = input.payments[i]!;
          const { idempotencyId, ...order } = p;
          await client.query('savepoint pay');
          try {
            // As payIn: the insert returns the order locked and the fee rule, so the charge
            // reads neither again.
            const created = await createPaymentOrder(client, order);
            if (!created) throw new DomainError('not_found', `wallet ${order.walletId} not found`, { wallet_id: order.walletId });
            // A retry after a lost commit: a payment refused then is refused again, the same way.
            if (created.order.status === 'failed') {
              outcomes[i] = refusalOf(created.order.failureCode ?? 'internal', `order ${created.order.id} failed (${created.order.failureCode})`);
              await client.query('release savepoint pay');
              continue;
            }
            outcomes[i] = { ok: true, result: await chargeLocked(client, created.order, idempotencyId, created.feeRule) };
            await client.query('release savepoint pay');
          } catch (err) {
            const business = err instanceof DomainError && BUSINESS_ERROR_CODES.includes(err.code);
            if (!business && !isPermanentDatabaseError(err)) throw err;
            await client.query('rollback to savepoint pay');
            const code = business ? (err as DomainError).code : DATABASE_ERROR;
            const message = business ? (err as DomainError).message : `Postgres refused the statement: ${(err as Error).message}`;
            // Record the order as failed, as the one-workflow-per-payment path leaves it; an
            // order Postgres refuses to hold (a data error) cannot be recorded.
            await client.query('release savepoint pay');
            if (business) {
              await client.query('savepoint record');
              try {
                const failed = await createPendingOrder(client, order);
                const after = await markOrderFailed(client, failed.id, code);
                if (failed.status === 'pending') await recordEvent(client, after.envId, 'payment.failed', { order: presentOrder(after) });
                await client.query('release savepoint record');
              } catch (recordErr) {
                // An order Postgres refuses to hold (its wallet gone): the refusal stands unrecorded.
                if (!isPermanentDatabaseError(recordErr)) throw recordErr;
                await client.query('rollback to savepoint record');
              }
            }
            outcomes[i] = { ok: false, type: code, message, details: business ? ((err as DomainError).details ?? {}) : {} };
          }
        }
        return outcomes;
      });
    },

    async failOrder(input: { orderId: string; failureCode: string }): Promise<Order> {
      return withTransaction(pool, async (client) => {
        const before = await lockOrder(client, input.orderId);
        const order = await markOrderFailed(client, input.orderId, input.failureCode);
        if (before?.status === 'pending' && order.status === 'failed') {
          await recordEvent(client, order.envId, 'payment.failed', { order: presentOrder(order) });
        }
        return order;
      });
    },
  };
}

/** The payments' indexes by ascending wallet id, ties in input order. */
export function inWalletOrder(payments: { walletId: string }[]): number[] {
  const ids = payments.map((p) => BigInt(p.walletId));
  return ids.map((_, i) => i).sort((a, b) => (ids[a]! < ids[b]! ? -1 : ids[a]! > ids[b]! ? 1 : a - b));
}

function refusalOf(code: string, message: string): BatchPaymentOutcome {
  return { ok: false, type: code, message, details: {} };
}
