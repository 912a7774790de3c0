/**
 * Refund of a completed payment, in full or in part (of what it captured: an
 * authorization captured in part refunds at most that part): revenue → wallet, one posting.
 * The order row is locked first (lockOrder) in the same SQL transaction, so racing
 * refunds of one order run one after the other and their sum can never pass the
 * order's amount (the orders table's check constraint says so too).
 */
import { DomainError } from '../domain/errors';
import type { RefundInput, RefundResult } from '../domain/types';
import { money } from '../wire/money';
import { presentOrder, presentWallet } from '../wire/present';
import { postTransaction } from '../db/ledger';
import { withTransaction, type Pool, type PoolClient } from '../db/pool';
import { addRefund, lockOrder } from '../db/queries/orders';
import { recordEvent } from '../db/queries/outbox';
import { getWallets } from '../db/queries/wallets';

async function alreadyPosted(client: PoolClient, idempotencyId: string): Promise<{ id: string; amount: string } | null> {
  const { rows } = await client.query<{ id: string; amount: string }>(
    'select id, amount from ledger_transactions where idempotency_id = $1',
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
        // A retried activity whose first run committed: answer what it did, post nothing.
        const done = await alreadyPosted(client, input.idempotencyId);
        if (done) {
          const [wallet] = await getWallets(client, order.envId, [order.walletId]);
          return { refund: { id: done.id, orderId: order.id, amount: done.amount, currency: order.currency }, order, wallet: wallet! };
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
        const posted = await postTransaction(client, {
          idempotencyId: input.idempotencyId,
          envId: order.envId,
          currency: order.currency,
          type: 'refund',
          amount,
          reference: `order:${order.id}`,
          legs: [
            { account: 'revenue', amount: -amount },
            { account: 'wallet', walletId: order.walletId, amount },
          ],
          // A refund gives money back: it lands on a suspended wallet too (the user
          // just cannot spend it); a closed wallet is refused just below (the throw
          // rolls the posting back).
          requireActive: false,
        });
        const wallet = posted.wallets[0]!;
        if (wallet.status === 'closed') {
          throw new DomainError('wallet_not_active', `wallet ${wallet.id} is closed`, { wallet_id: wallet.id, status: wallet.status });
        }
        const updated = await addRefund(client, order.id, amount);
        const refund = { id: posted.transactionId, orderId: order.id, amount: amount.toString(), currency: order.currency };
        await recordEvent(client, order.envId, 'refund.completed', {
          refund_id: refund.id,
          order_id: order.id,
          amount: money(amount, order.currency),
          currency: order.currency,
          order: presentOrder(updated),
          wallet: presentWallet(wallet),
        });
        return { refund, order: updated, wallet };
      });
    },
  };
}
