/**
 * POST /wallet/orders/{order_id}/capture/ and /void/: the end of a payment authorization
 * (`"capture": false`). Validate → src/services/payment-authorizations.ts → present.
 */
import { Router } from 'express';
import { z } from 'zod';
import type { Pool } from '../../db/pool';
import { captureAuthorization, voidAuthorization } from '../../services/payment-authorizations';
import { presentOrder, presentWallet } from '../../wire/present';
import { requireEnv } from '../auth';
import { respondIdempotently } from '../idempotency';
import { movementHeaders, OrderSchema, registerRoute, WalletSchema } from '../openapi';
import { amount, id } from '../schemas';
import type { TemporalDeps } from '../temporal';
import { endpoint } from '../validate';

const Params = z.object({ order_id: id });
const CaptureBody = z.object({
  env_id: id,
  amount: amount.optional().openapi({ description: 'Major units, at most the authorized amount; absent: all of it. The rest is released.' }),
});
const VoidBody = z.object({ env_id: id });

const order = {
  id: '500000001', env_id: '123', wallet_id: '123', user_id: '123', product_id: 'asd123', amount: 100.0, refunded_amount: 0,
  currency: 'USD', failure_code: null, expires_at: '2026-01-08T00:00:00.000Z', created_at: '2026-01-01T00:00:00.000Z',
};
const wallet = { id: '123', user_id: '123', env_id: '123', held: 0, currency: 'USD', status: 'active', created_at: '2026-01-01T00:00:00.000Z' };
const refusals = {
  409: { description: '`order_not_authorized` (captured, voided, expired, or a payment captured at once; a second capture), `authorization_expired` (past `expires_at`), or the Idempotency-Key was used with another request' },
};

registerRoute({
  method: 'post', path: '/wallet/orders/:order_id/capture', tags: ['movements'], summary: 'Capture an authorized payment, in full or in part',
  description:
    'Takes `amount` (default: all) of the hold of an order paid with `"capture": false`; the rest goes back to the wallet. ' +
    'The order becomes `completed` with `captured_amount`; refunds apply to that. Event `payment.captured`. ' +
    'Exactly one capture or void succeeds per authorization; the others get 409. Responds with the `Workflow-Id` header (the payment workflow).',
  request: { params: Params, body: CaptureBody, headers: movementHeaders, bodyExample: { env_id: 123, amount: 60 } },
  responses: {
    200: {
      description: 'The order captured and the wallet (60.00 taken, 40.00 released)',
      schema: z.object({ order: OrderSchema, wallet: WalletSchema }),
      example: {
        order: { ...order, captured_amount: 60.0, status: 'completed', transaction_id: '3', void_reason: null },
        wallet: { ...wallet, balance: 940.0 },
      },
    },
    ...refusals,
    422: { description: '`amount_exceeds_authorization`, or a malformed request' },
  },
});
registerRoute({
  method: 'post', path: '/wallet/orders/:order_id/void', tags: ['movements'], summary: 'Void an authorized payment',
  description:
    'Releases the whole hold of an order paid with `"capture": false`: order `voided` (`void_reason: requested`), event `payment.voided`. ' +
    'Responds with the `Workflow-Id` header (the payment workflow).',
  request: { params: Params, body: VoidBody, headers: movementHeaders, bodyExample: { env_id: 123 } },
  responses: {
    200: {
      description: 'The order voided and the wallet, its hold released',
      schema: z.object({ order: OrderSchema, wallet: WalletSchema }),
      example: {
        order: { ...order, captured_amount: 0, status: 'voided', transaction_id: null, void_reason: 'requested' },
        wallet: { ...wallet, balance: 1000.0 },
      },
    },
    ...refusals,
  },
});

export function authorizationRoutes(pool: Pool, temporal: TemporalDeps): Router {
  const router = Router();
  router.post(
    '/wallet/orders/:order_id/capture',
    ...endpoint({ params: Params, body: CaptureBody }, async ({ params, body }, req, res) => {
      const envId = requireEnv(res, body.env_id);
      await respondIdempotently(pool, req, res, envId, async (idem) => {
        const { result, workflowId } = await captureAuthorization({ pool, temporal }, { envId, orderId: params.order_id, amount: body.amount, idem });
        return { status: 200, workflowId, body: { order: presentOrder(result.order), wallet: presentWallet(result.wallet) } };
      });
    }),
  );
  router.post(
    '/wallet/orders/:order_id/void',
    ...endpoint({ params: Params, body: VoidBody }, async ({ params, body }, req, res) => {
      const envId = requireEnv(res, body.env_id);
      await respondIdempotently(pool, req, res, envId, async (idem) => {
        const { result, workflowId } = await voidAuthorization({ pool, temporal }, { envId, orderId: params.order_id, idem });
        return { status: 200, workflowId, body: { order: presentOrder(result.order), wallet: presentWallet(result.wallet) } };
      });
    }),
  );
  return router;
}
