/**
 * POST /wallet/refund: refund a completed payment in full (no amount) or in part.
 * The refund workflow locks the order and checks what is left under the lock; the
 * route only checks the order exists in this environment and the amount's format.
 */
import { Router } from 'express';
import { z } from 'zod';
import { DomainError } from '../../domain/errors';
import { parseAmount } from '../../domain/money';
import type { RefundInput, RefundResult } from '../../domain/types';
import type { Pool } from '../../db/pool';
import { findOrder } from '../../db/queries/orders';
import { requireEnv } from '../auth';
import { respondIdempotently } from '../idempotency';
import { presentOrder, presentRefund, presentWallet } from '../../wire/present';
import { amount, id } from '../schemas';
import { runMovement, type TemporalDeps } from '../temporal';
import { endpoint } from '../validate';
import { movementHeaders, OrderSchema, RefundSchema, registerRoute, WalletSchema } from '../openapi';

const RefundBody = z.object({ env_id: id, order_id: id, amount: amount.optional() });

registerRoute({
  method: 'post', path: '/wallet/refund', tags: ['movements'], summary: 'Refund a completed payment, in full or in part',
  description:
    'Without `amount`, refunds what is left of the order. Runs the `refund` workflow. Responds with the `Workflow-Id` header.',
  request: { body: RefundBody, headers: movementHeaders, bodyExample: { env_id: 123, order_id: 500000001, amount: 40 } },
  responses: {
    200: {
      description: 'The refund, the order after it and the wallet credited. The Temporal workflow that moved the money is in the `Workflow-Id` header.',
      schema: z.object({ refund: RefundSchema, order: OrderSchema, wallet: WalletSchema }),
      example: {
        refund: { id: '800000001', order_id: '500000001', amount: 40.0, currency: 'USD' },
        order: {
          id: '500000001', env_id: '123', wallet_id: '123', user_id: '123', product_id: 'asd123', amount: 100.0, captured_amount: 100.0, refunded_amount: 40.0,
          currency: 'USD', status: 'partially_refunded', transaction_id: '2', failure_code: null, expires_at: null, void_reason: null, created_at: '2026-01-01T00:00:00.000Z',
        },
        wallet: { id: '123', user_id: '123', env_id: '123', balance: 1040.0, held: 0, currency: 'USD', status: 'active', created_at: '2026-01-01T00:00:00.000Z' },
      },
    },
    409: { description: 'The Idempotency-Key was used with another request' },
  },
});

export function refundRoutes(pool: Pool, temporal: TemporalDeps): Router {
  const router = Router();
  router.post(
    '/wallet/refund',
    ...endpoint({ body: RefundBody }, async ({ body }, req, res) => {
      const envId = requireEnv(res, body.env_id);
      await respondIdempotently(pool, req, res, envId, async (idem) => {
        const order = await findOrder(pool, envId, body.order_id);
        if (!order) throw new DomainError('not_found', `order ${body.order_id} not found`, { order_id: body.order_id });
        const minor = body.amount === undefined ? null : parseAmount(body.amount, order.currency);
        const { result, workflowId } = await runMovement<RefundInput, RefundResult>(temporal, {
          kind: 'refund',
          workflowType: 'refund',
          envId,
          walletId: order.walletId,
          userId: order.userId,
          ...idem,
          args: { envId, orderId: order.id, amount: minor === null ? null : minor.toString() },
        });
        return {
          status: 200,
          workflowId,
          body: { refund: presentRefund(result.refund), order: presentOrder(result.order), wallet: presentWallet(result.wallet) },
        };
      });
    }),
  );
  return router;
}
