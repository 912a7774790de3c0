/**
 * POST /wallet/topup and /wallet/payment: validate → src/services/movements.ts (the
 * user's wallet, the exact amount, the workflow) → present. Entries: src/api/docs/topups-payments.ts.
 */
import { Router } from 'express';
import { z } from 'zod';
import type { Pool } from '../../db/pool';
import { pay, topUp } from '../../services/movements';
import { presentOrder, presentWallet } from '../../wire/present';
import { moneyEndpoint, movementAnswer } from '../money-endpoint';
import { amount, id, productId, userId } from '../schemas';
import type { TemporalDeps } from '../temporal';

export const TopupBody = z.object({ env_id: id, user_id: userId, wallet_id: id, amount });
export const PaymentBody = z.object({ env_id: id, user_id: userId, wallet_id: id, amount, product_id: productId });

export function movementRoutes(pool: Pool, temporal: TemporalDeps): Router {
  const router = Router();
  const deps = { pool, temporal };

  router.post(
    '/wallet/topup',
    ...moneyEndpoint(pool, TopupBody, async (body, envId, idem) => {
      const { result, workflowId } = await topUp(deps, { envId, userId: body.user_id, walletId: body.wallet_id, amount: body.amount }, idem);
      const after = presentWallet(result.wallet);
      return movementAnswer(workflowId, { transaction_id: result.transactionId, wallet: after, wallets: [after] });
    }),
  );

  router.post(
    '/wallet/payment',
    ...moneyEndpoint(pool, PaymentBody, async (body, envId, idem) => {
      const request = { envId, userId: body.user_id, walletId: body.wallet_id, amount: body.amount, productId: body.product_id };
      const { result, workflowId } = await pay(deps, request, idem);
      // `wallets` repeats the wallet because the docs' payment snippet reads
      // response.json()["wallets"][0]["user_id"] from this answer.
      const after = presentWallet(result.wallet);
      return movementAnswer(workflowId, { order: presentOrder(result.order), wallet: after, wallets: [after] });
    }),
  );

  return router;
}
