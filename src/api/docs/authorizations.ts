/** OpenAPI entries of routes/authorizations.ts (registered by src/api/openapi.ts). */
import { movementHeaders, OrderWithWalletSchema, registerRoute, type ResponseSpec } from './registry';
import { CaptureBody, Params, VoidBody } from '../routes/authorizations';

export function documentAuthorizations(): void {
  const order = {
    id: '500000001', env_id: '123', wallet_id: '123', user_id: '123', product_id: 'asd123', amount: 100.0, refunded_amount: 0,
    currency: 'USD', failure_code: null, expires_at: '2026-01-08T00:00:00.000Z', created_at: '2026-01-01T00:00:00.000Z', fee: 0, splits: [],
  };
  const wallet = { id: '123', user_id: '123', env_id: '123', held: 0, currency: 'USD', status: 'active', created_at: '2026-01-01T00:00:00.000Z' };
  /** The 409 of capture and void: no hold left to take or release, or a reused Idempotency-Key. */
  const notAuthorized: ResponseSpec = {
    description: '`order_not_authorized` (captured, voided, expired, or a payment captured at once; a second capture), `authorization_expired` (past `expires_at`), or the Idempotency-Key was used with another request',
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
        schema: OrderWithWalletSchema,
        example: {
          order: { ...order, captured_amount: 60.0, status: 'completed', transaction_id: '3', void_reason: null },
          wallet: { ...wallet, balance: 940.0 },
        },
      },
      409: notAuthorized,
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
        schema: OrderWithWalletSchema,
        example: {
          order: { ...order, captured_amount: 0, status: 'voided', transaction_id: null, void_reason: 'requested' },
          wallet: { ...wallet, balance: 1000.0 },
        },
      },
      409: notAuthorized,
    },
  });
}
