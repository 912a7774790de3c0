/**
 * Authorize now, capture later (issue 12, part 2): the ledger side. Each activity is one
 * SQL transaction; the order row is the state machine and every transition out of
 * `authorized` runs under its row lock (lockOrder), so whatever reaches it first —
 * a capture, a void, the expiry — is the one outcome; the others find the order no longer
 * `authorized` and are refused (`order_not_authorized`). The workflow decides first
 * (src/workflows/payment-authorization.ts: one decision at a time, validators); this is
 * the guard that holds even if two deciders ever ran.
 *
 * Postings (the withdrawal's hold, reused: `held` and the in_flight account move together):
 *   authorize: hold     wallet −x, in_flight +x, held +x        (requireActive: the user pays)
 *   capture:   payment  in_flight −c, held −c; sellers + (part·c/x rounded down − fee share),
 *                       fees + fee(c), revenue + the rest              (captureLegs: the one place)
 *              release  in_flight −(x−c), wallet +(x−c), held −(x−c)   when c < x
 * Splits (issue 12, part 3): checked at authorization as an immediate split payment's
 * (sellers exist, same currency, active; the fee fits in the parts) and stored on the
 * order; the capture pays each seller its part scaled by c/x, rounded down (revenue keeps
 * what rounding leaves), the payment fee computed on c and taken from the sellers in
 * proportion (domain/fees.ts splitFees). A seller no longer active at capture refuses the
 * capture (422 wallet_not_active naming the split): nothing moves and the hold is kept, to
 * be captured once the seller is active again, or voided.
 *   void:      release  in_flight −x, wallet +x, held −x
 * Capture and void run on a suspended wallet too (requireActive false): a suspended
 * wallet keeps its holds until they are captured, voided or expire. A closed wallet has
 * none (closing is refused while anything is held).
 */
import { DomainError } from '../domain/errors';
import type { Order, PaymentResult, Wallet } from '../domain/types';
import { postings, type Leg } from '../domain/postings';
import { postOrderMovement } from './order-posting';
import { withTransaction, type Pool, type PoolClient } from '../db/pool';
import { assertCapturable, authorizationExpired, orderNotAuthorized, type VoidReason } from '../domain/authorizations';
import {
  authorizationExpiredAt,
  authorizeOrder,
  captureOrder,
  createPendingOrderLockingWallet,
  lockOrder,
  voidOrder,
  type NewOrder,
} from '../db/queries/orders';
import { recordEvent } from '../db/queries/outbox';
import { getFeeRule, recordFeePayers } from '../db/queries/fees';
import { getWallets, lockWallets } from '../db/queries/wallets';
import { computeFee, splitFees, type SplitPart } from '../domain/fees';
import { assertSellers, capturedSplits, checkSplits, creditLegs } from '../domain/splits';
import { money } from '../wire/money';
import { presentOrder, presentWallet } from '../wire/present';

export interface AuthorizePaymentInput extends NewOrder {
  ttlSeconds: number;
}

export interface CaptureAuthorizationInput {
  orderId: string;
  /** The payment workflow's id: its postings' idempotency ids. */
  workflowId: string;
  /** Minor units; null captures the whole hold. */
  amount: string | null;
  /** The update that asks (recorded on the order: a retried request recognises its own decision). */
  decisionId: string | null;
}

export interface VoidAuthorizationInput {
  orderId: string;
  workflowId: string;
  reason: VoidReason;
  /** The update that asks (`requested`); null for the workflow's own void. */
  decisionId: string | null;
}

/** Idempotency ids of an authorization's postings (workflow id + step). */
export const authorizationSteps = (workflowId: string) => ({
  hold: `${workflowId}:hold`,
  capture: `${workflowId}:capture`,
  captureRelease: `${workflowId}:capture-release`,
  void: `${workflowId}:void`,
});

/**
 * The legs of a capture of `captured` from a hold: the ONE place a capture's posting is
 * built. in_flight −captured; each seller + (its captured part − its fee share), fees +
 * fee, revenue the rest (domain/splits.ts creditLegs; without splits the fee comes from
 * revenue). `parts`: the captured parts (capturedSplits) with their fees (splitFees).
 * The legs sum to zero and leave in_flight by exactly `captured`.
 */
export function captureLegs(captured: bigint, fee: bigint, parts: SplitPart[]): Leg[] {
  return [{ account: 'in_flight', amount: -captured }, ...creditLegs(captured, fee, parts)];
}

async function walletOf(client: PoolClient, order: Order, posted: Wallet[]): Promise<Wallet> {
  return posted.find((w) => w.id === order.walletId) ?? (await getWallets(client, order.envId, [order.walletId]))[0]!;
}

/** The release of what is held and not captured: back to the wallet, `held` down. */
function postRelease(client: PoolClient, order: Order, idempotencyId: string, amount: bigint) {
  return postOrderMovement(client, order, idempotencyId, postings.authorizationRelease(order.walletId, amount, order.id));
}

export function createAuthorizationActivities({ pool }: { pool: Pool }) {
  return {
    /**
     * Creates the order, holds its amount and marks it `authorized` with its expiry, with
     * the `payment.authorized` event, in one commit. A refusal (insufficient funds, wallet
     * not active, a spend limit) rolls it all back; the workflow then records the order
     * failed, as a payment's. A retry after the commit finds the order past `pending` and
     * answers it as it is now.
     */
    async authorizePayment(input: AuthorizePaymentInput): Promise<PaymentResult> {
      const { ttlSeconds, ...newOrder } = input;
      return withTransaction(pool, async (client) => {
        const created = await createPendingOrderLockingWallet(client, newOrder);
        if (!created) throw new DomainError('not_found', `wallet ${newOrder.walletId} not found`, { wallet_id: newOrder.walletId });
        if (created.status !== 'pending') return { order: created, wallet: await walletOf(client, created, []) };
        const amount = BigInt(created.amount);
        if (created.splits.length) {
          // As an immediate split payment (src/activities/topup-payment.ts charge): the
          // splits' shape, the sellers (locked with the order's insert), the fee within the parts.
          checkSplits(amount, created.walletId, created.splits);
          assertSellers(created.currency, created.splits, await getWallets(client, created.envId, created.splits.map((s) => s.walletId)));
          splitFees(amount, computeFee(amount, await getFeeRule(client, created.envId, created.currency, 'payment')), created.splits);
        }
        const posted = await postOrderMovement(client, created, authorizationSteps(input.workflowId).hold, postings.authorizationHold(created.walletId, amount, created.id));
        const order = await authorizeOrder(client, created.id, posted.transactionId, ttlSeconds);
        const wallet = await walletOf(client, order, posted.wallets);
        await recordEvent(client, order.envId, 'payment.authorized', { order: presentOrder(order), wallet: presentWallet(wallet) });
        return { order, wallet };
      });
    },

    /**
     * Takes `amount` (or all) of the hold and releases the rest: order `completed` with
     * `captured_amount`, `payment.captured`, one commit. Refused unless the order is
     * `authorized` and its expires_at (database clock) has not passed. A retry whose first
     * run committed finds the order completed by this workflow's capture and answers it.
     */
    async captureAuthorization(input: CaptureAuthorizationInput): Promise<PaymentResult> {
      const steps = authorizationSteps(input.workflowId);
      return withTransaction(pool, async (client) => {
        const order = await lockOrder(client, input.orderId);
        if (!order) throw new DomainError('not_found', `order ${input.orderId} not found`, { order_id: input.orderId });
        if (order.status === 'completed' && (await postedBy(client, order.transactionId, steps.capture))) {
          return { order, wallet: await walletOf(client, order, []) };
        }
        if (order.status !== 'authorized') throw orderNotAuthorized(order);
        if (await authorizationExpiredAt(client, order.id)) {
          throw authorizationExpired(order);
        }
        const held = BigInt(order.amount);
        const captured = input.amount === null ? held : BigInt(input.amount);
        assertCapturable(order, captured);
        if (order.splits.length) {
          // The sellers locked (ascending id, with the payer: the posting's lock order) and
          // still active: a seller suspended or closed since the authorization refuses it.
          const locked = await lockWallets(client, order.envId, [order.walletId, ...order.splits.map((s) => s.walletId)]);
          assertSellers(order.currency, order.splits, locked);
        }
        const fee = computeFee(captured, await getFeeRule(client, order.envId, order.currency, 'payment'));
        const parts = splitFees(captured, fee, capturedSplits(held, captured, order.splits));
        const capture = await postOrderMovement(client, order, steps.capture, postings.capture(order.walletId, captured, order.id, captureLegs(captured, fee, parts)));
        const rest = held - captured;
        const release = rest > 0n ? await postRelease(client, order, steps.captureRelease, rest) : null;
        const completed = await captureOrder(client, order.id, capture.transactionId, captured, input.decisionId, fee, parts.map((p) => BigInt(p.fee)));
        await recordFeePayers(client, capture.transactionId, parts.length ? parts.map((p) => ({ walletId: p.walletId, amount: BigInt(p.fee) })) : [{ walletId: null, amount: fee }]);
        const wallet = await walletOf(client, completed, release?.wallets ?? capture.wallets);
        await recordEvent(client, completed.envId, 'payment.captured', {
          order: presentOrder(completed),
          wallet: presentWallet(wallet),
          captured_amount: money(captured, completed.currency),
          released_amount: money(rest, completed.currency),
        });
        return { order: completed, wallet };
      });
    },

    /**
     * Releases the whole hold: order `voided` with its reason, `payment.voided`, one commit.
     * `requested` (POST …/void/) is refused once expires_at has passed (the expiry's
     * own void follows); `expired` and `canceled` (the workflow's) are not. An order that is
     * no longer authorized is refused; a retry whose first run committed answers it.
     */
    async voidAuthorization(input: VoidAuthorizationInput): Promise<PaymentResult> {
      return withTransaction(pool, async (client) => {
        const order = await lockOrder(client, input.orderId);
        if (!order) throw new DomainError('not_found', `order ${input.orderId} not found`, { order_id: input.orderId });
        if (order.status === 'voided' && order.voidReason === input.reason) return { order, wallet: await walletOf(client, order, []) };
        if (order.status !== 'authorized') {
          // The workflow's own void (expiry, cancel) of an order already decided: nothing to do.
          if (input.reason !== 'requested') return { order, wallet: await walletOf(client, order, []) };
          throw orderNotAuthorized(order);
        }
        if (input.reason === 'requested' && (await authorizationExpiredAt(client, order.id))) {
          throw authorizationExpired(order);
        }
        return releaseWholeHold(client, order, input);
      });
    },
  };
}

/**
 * The void itself, on an order the caller has locked and found `authorized`: the whole hold
 * back to the wallet (posted under the workflow's `:void` idempotency id, so the hold ends
 * once whoever posts it), order `voided` with its reason, `payment.voided`. Shared by the
 * workflow's void and the hold sweeper's release of an expired authorization whose
 * workflow is gone (src/activities/hold-sweeper.ts).
 */
export async function releaseWholeHold(
  client: PoolClient,
  order: Order,
  input: Pick<VoidAuthorizationInput, 'workflowId' | 'reason' | 'decisionId'>,
): Promise<PaymentResult> {
  const amount = BigInt(order.amount);
  const released = await postRelease(client, order, authorizationSteps(input.workflowId).void, amount);
  const voided = await voidOrder(client, order.id, input.reason, input.decisionId);
  const wallet = await walletOf(client, voided, released.wallets);
  await recordEvent(client, voided.envId, 'payment.voided', {
    order: presentOrder(voided),
    wallet: presentWallet(wallet),
    reason: input.reason,
    released_amount: money(amount, voided.currency),
  });
  return { order: voided, wallet };
}

/** Whether the ledger transaction `transactionId` is the one posted under `idempotencyId`. */
async function postedBy(client: PoolClient, transactionId: string | null, idempotencyId: string): Promise<boolean> {
  if (transactionId === null) return false;
  const { rows } = await client.query('select 1 from ledger_transactions where id = $1 and idempotency_id = $2', [transactionId, idempotencyId]);
  return rows.length > 0;
}
