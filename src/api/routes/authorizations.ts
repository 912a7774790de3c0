/**
 * POST /wallet/orders/{order_id}/capture/ and /void/: the end of a payment authorization
 * (`"capture": false`). Validate → src/services/payment-authorizations.ts → present.
 * Entries: src/api/docs/authorizations.ts.
 */
import { Router } from 'express';
import { z } from 'zod';
import type { Pool } from '../../db/pool';
import { captureAuthorization, voidAuthorization } from '../../services/payment-authorizations';
import { presentOrder, presentWallet } from '../../wire/present';
import { moneyEndpoint, movementAnswer } from '../money-endpoint';
import { amount, id } from '../schemas';
import type { TemporalDeps } from '../temporal';

export const Params = z.object({ order_id: id });
export const CaptureBody = z.object({
  env_id: id,
  amount: amount.optional().openapi({ description: 'Major units, at most the authorized amount; absent: all of it. The rest is released.' }),
});
export const VoidBody = z.object({ env_id: id });

export function authorizationRoutes(pool: Pool, temporal: TemporalDeps): Router {
  const router = Router();
  router.post(
    '/wallet/orders/:order_id/capture',
    ...moneyEndpoint(pool, CaptureBody, async (body, envId, idem, params) => {
      const { result, workflowId } = await captureAuthorization({ pool, temporal }, { envId, orderId: params.order_id, amount: body.amount, idem });
      return movementAnswer(workflowId, { order: presentOrder(result.order), wallet: presentWallet(result.wallet) });
    }, Params),
  );
  router.post(
    '/wallet/orders/:order_id/void',
    ...moneyEndpoint(pool, VoidBody, async (_body, envId, idem, params) => {
      const { result, workflowId } = await voidAuthorization({ pool, temporal }, { envId, orderId: params.order_id, idem });
      return movementAnswer(workflowId, { order: presentOrder(result.order), wallet: presentWallet(result.wallet) });
    }, Params),
  );
  return router;
}
