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

export const RefundBody = z.object({ env_id: id, order_id: id, amount: amount.optional() });

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
