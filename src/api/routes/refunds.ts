/**
 * POST /wallet/refund: validate → src/services/movements.ts `refund` (a completed
 * payment, in full without amount or in part) → present. Entry: src/api/docs/refunds.ts.
 */
import { Router } from 'express';
import { z } from 'zod';
import type { Pool } from '../../db/pool';
import { refund } from '../../services/movements';
import { presentOrder, presentRefund, presentWallet } from '../../wire/present';
import { moneyEndpoint, movementAnswer } from '../money-endpoint';
import { amount, id } from '../schemas';
import type { TemporalDeps } from '../temporal';

export const RefundBody = z.object({
  env_id: id,
  order_id: id,
  amount: amount.optional(),
  from_revenue: z
    .boolean({ error: 'must be true or false' })
    .optional()
    .openapi({ description: "Split payments: take the sellers' shares from the environment's revenue instead of from the sellers' wallets" }),
});

export function refundRoutes(pool: Pool, temporal: TemporalDeps): Router {
  const router = Router();
  router.post(
    '/wallet/refund',
    ...moneyEndpoint(pool, RefundBody, async (body, envId, idem) => {
      const { result, workflowId } = await refund({ pool, temporal }, { envId, orderId: body.order_id, amount: body.amount, fromRevenue: body.from_revenue }, idem);
      return movementAnswer(workflowId, { refund: presentRefund(result.refund), order: presentOrder(result.order), wallet: presentWallet(result.wallet) });
    }),
  );
  return router;
}
