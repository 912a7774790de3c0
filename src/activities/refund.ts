/**
 * Refund of a completed payment, in full or in part (of what it captured: an
 * authorization captured in part refunds at most that part): revenue → wallet, one posting;
 * for a split payment the sellers give back their shares in the same posting (README, Splits).
 * The order row is locked first (lockOrder) in the same SQL transaction, so racing
 * refunds of one order run one after the other and their sum can never pass the
 * order's amount (the orders table's check constraint says so too).
 */
import { postings } from '../domain/postings';
import { DomainError } from '../domain/errors';
import type { PaymentSplit, RefundInput, RefundResult } from '../domain/types';
import { refundShares } from '../domain/fees';
import { formatAmount } from '../domain/money';
import { keptSplits, refundLegs } from '../domain/splits';
import { money } from '../wire/money';
import { presentOrder, presentRefund, presentWallet } from '../wire/present';
import { postOrderMovement } from './order-posting';
import { withTransaction, type Pool, type PoolClient } from '../db/pool';
import { addRefund, lockOrder } from '../db/queries/orders';
import { recordEvent } from '../db/queries/outbox';
import { getWallets } from '../db/queries/wallets';

/** A refund already posted under this idempotency id, with what it took back from each seller. */
async function alreadyPosted(client: PoolClient, idempotencyId: string): Promise<{ id: string; amount: string; splits: PaymentSplit[] } | null> {
  const { rows } = await client.query<{ id: string; amount: string; splits: PaymentSplit[] }>(
    `select t.id, t.amount,
       (select coalesce(json_agg(json_build_object('walletId', p.wallet_id::text, 'amount', (-p.amount)::text) order by p.id), '[]'::json)
          from ledger_postings p where p.transaction_id = t.id and p.account = 'wallet' and p.amount < 0) as splits
     from ledger_transactions t where t.idempotency_id = $1`,
    [idempotencyId],
  );
  return rows[0] ?? null;
}

export function createRefundActivities({ pool }: { pool: Pool }) {
  return {
    async refundOrder(input: RefundInput & { idempotencyId: string }): Promise<RefundResult> {
      return withTransaction(pool, async (client) => {
        const order = await lockOrder(client, input.orderId);
        if (!order || order.envId !== input.envId) throw new DomainError('not_found', `order ${input.orderId} not found`);
        const fromRevenue = input.fromRevenue === true;
        // A retried activity whose first run committed: answer what it did, post nothing.
        const done = await alreadyPosted(client, input.idempotencyId);
        if (done) {
          const [wallet] = await getWallets(client, order.envId, [order.walletId]);
          const refund = { id: done.id, orderId: order.id, amount: done.amount, currency: order.currency, splits: done.splits, fromRevenue };
          return { refund, order, wallet: wallet! };
        }
        if (order.status !== 'completed' && order.status !== 'partially_refunded') {
          throw new DomainError('conflict', `order ${order.id} is ${order.status}: only a completed payment can be refunded`, {
            status: order.status,
          });
        }
        // What the payment took: its amount, or the captured part of an authorization.
        const remaining = BigInt(order.capturedAmount) - BigInt(order.refundedAmount);
        const amount = input.amount === null ? remaining : BigInt(input.amount);
        if (remaining === 0n || amount > remaining) {
          throw new DomainError('conflict', `refund exceeds what is left to refund on order ${order.id}`, {
            order_amount_minor: order.amount,
            captured_amount_minor: order.capturedAmount,
            refunded_amount_minor: order.refundedAmount,
            requested_minor: amount.toString(),
          });
        }
        // A split payment: each seller gives back its share (domain/fees.ts refundShares) of
        // what it kept at capture (its captured part − its fee; the parts as authorized
        // for a payment captured at once), revenue the rest; with from_revenue, revenue gives it all.
        const shares = fromRevenue ? [] : refundShares(BigInt(order.capturedAmount), BigInt(order.refundedAmount), amount, keptSplits(order));
        const takenBack = order.splits.map((s, i) => ({ walletId: s.walletId, amount: (shares[i] ?? 0n).toString() })).filter((s) => s.amount !== '0');
        // A refund gives money back: it lands on a suspended wallet too (the user
        // just cannot spend it); a closed wallet is refused just below (the throw
        // rolls the posting back). A seller's share is taken from a suspended wallet too.
        let posted;
        try {
          posted = await postOrderMovement(client, order, input.idempotencyId, postings.refund(order.walletId, amount, order.id, refundLegs(order.walletId, amount, takenBack)));
        } catch (err) {
          const seller = err instanceof DomainError && err.code === 'insufficient_funds' ? takenBack.find((s) => s.walletId === err.details.wallet_id) : undefined;
          if (!seller) throw err;
          throw new DomainError(
            'seller_insufficient_funds',
            `seller wallet ${seller.walletId} no longer holds its share of this refund (${formatAmount(seller.amount, order.currency)} ${order.currency}); ` +
              'refund with "from_revenue": true to take the sellers\' shares from revenue',
            { wallet_id: seller.walletId, share_minor: seller.amount, balance_minor: (err as DomainError).details.balance_minor },
          );
        }
        const wallet = posted.wallets.find((w) => w.id === order.walletId)!;
        if (wallet.status === 'closed') {
          throw new DomainError('wallet_not_active', `wallet ${wallet.id} is closed`, { wallet_id: wallet.id, status: wallet.status });
        }
        const updated = await addRefund(client, order.id, amount);
        const refund = { id: posted.transactionId, orderId: order.id, amount: amount.toString(), currency: order.currency, splits: takenBack, fromRevenue };
        await recordEvent(client, order.envId, 'refund.completed', {
          refund_id: refund.id,
          order_id: order.id,
          amount: money(amount, order.currency),
          currency: order.currency,
          from_revenue: fromRevenue,
          splits: presentRefund(refund).splits,
          order: presentOrder(updated),
          wallet: presentWallet(wallet),
        });
        return { refund, order: updated, wallet };
      });
    },
  };
}
