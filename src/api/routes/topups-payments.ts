/**
 * POST /wallet/topup and /wallet/payment: validate → src/services/movements.ts (the
 * user's wallet, the exact amount, the workflow; a payment with "capture": false is an
 * authorization) or, for "method": "card", src/services/card-topups.ts → present.
 * Entries: src/api/docs/topups-payments.ts.
 */
import { Router } from 'express';
import { z } from 'zod';
import type { Pool } from '../../db/pool';
import { MAX_SPLITS } from '../../domain/splits';
import { pay, topUp } from '../../services/movements';
import type { CardTopupSettings } from '../../services/card-topups';
import { presentOrder, presentWallet } from '../../wire/present';
import { moneyEndpoint, movementAnswer, walletRequest } from '../money-endpoint';
import { amount, authorizationTtl, id, productId, userId } from '../schemas';
import type { TemporalDeps } from '../temporal';
import { cardTopupAnswer } from './card-topups';

export const TopupBody = z.object({
  env_id: id,
  user_id: userId,
  wallet_id: id,
  amount,
  method: z
    .enum(['funded', 'card'])
    .optional()
    .openapi({ description: "`funded` (default): from the environment's funding float; `card`: the user pays by card through Stripe (README, Card top-ups)" }),
});
const Split = z.strictObject({ wallet_id: id, amount });
export const PaymentBody = z.object({
  env_id: id,
  user_id: userId,
  wallet_id: id,
  amount,
  product_id: productId,
  splits: z
    .array(Split, { error: 'must be a list of {"wallet_id", "amount"}' })
    .min(1, 'must hold at least one split (leave it out for none)')
    .max(MAX_SPLITS, `must hold at most ${MAX_SPLITS} splits`)
    .optional()
    .openapi({ description: "Marketplace splits: parts of the amount for sellers' wallets of the same environment and currency; the rest goes to revenue" }),
  capture: z.boolean({ error: 'must be true or false' }).optional().openapi({
    description: 'false: hold the amount (order `authorized`) until POST /wallet/orders/{order_id}/capture/ or /void/, or its expiry. Default true: take it now.',
  }),
  authorization_ttl_seconds: authorizationTtl.optional(),
});

export function topupPaymentRoutes(pool: Pool, temporal: TemporalDeps, cardTopups: CardTopupSettings = {}): Router {
  const router = Router();
  const deps = { pool, temporal };

  router.post(
    '/wallet/topup',
    ...moneyEndpoint(pool, TopupBody, async (body, envId, idem) => {
      if (body.method === 'card') return cardTopupAnswer(pool, temporal, cardTopups, walletRequest(body, envId), idem);
      const { result, workflowId } = await topUp(deps, walletRequest(body, envId), idem);
      const after = presentWallet(result.wallet);
      return movementAnswer(workflowId, { transaction_id: result.transactionId, wallet: after, wallets: [after] });
    }),
  );

  router.post(
    '/wallet/payment',
    ...moneyEndpoint(pool, PaymentBody, async (body, envId, idem) => {
      const request = {
        ...walletRequest(body, envId),
        productId: body.product_id,
        capture: body.capture,
        authorizationTtlSeconds: body.authorization_ttl_seconds,
        splits: body.splits,
      };
      const { result, workflowId } = await pay(deps, request, idem);
      // `wallets` repeats the wallet because the docs' payment snippet reads
      // response.json()["wallets"][0]["user_id"] from this answer.
      const after = presentWallet(result.wallet);
      return movementAnswer(workflowId, { order: presentOrder(result.order), wallet: after, wallets: [after] });
    }),
  );

  return router;
}
