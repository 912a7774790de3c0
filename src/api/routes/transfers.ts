/**
 * POST /wallet/transfer: validate → src/services/movements.ts `transfer` (from a wallet
 * of the user to any wallet of the same environment and currency) → present.
 * Entry: src/api/docs/transfers.ts.
 */
import { Router } from 'express';
import { z } from 'zod';
import type { Pool } from '../../db/pool';
import { transfer } from '../../services/movements';
import { presentTransfer, presentWallet } from '../../wire/present';
import { moneyEndpoint, movementAnswer, walletRequest } from '../money-endpoint';
import { amount, id, userId } from '../schemas';
import type { TemporalDeps } from '../temporal';

const reference = z.preprocess(
  (v) => (v === null ? undefined : v),
  z.string({ error: 'must be a string' }).max(255, 'must be at most 255 characters').optional(),
);
export const TransferBody = z.object({ env_id: id, user_id: userId, wallet_id: id, to_wallet_id: id, amount, reference });

export function transferRoutes(pool: Pool, temporal: TemporalDeps): Router {
  const router = Router();
  router.post(
    '/wallet/transfer',
    ...moneyEndpoint(pool, TransferBody, async (body, envId, idem) => {
      const request = { ...walletRequest(body, envId), toWalletId: body.to_wallet_id, reference: body.reference ?? null };
      const { result, workflowId } = await transfer({ pool, temporal }, request, idem);
      return movementAnswer(workflowId, { transfer: presentTransfer(result.transfer), wallet: presentWallet(result.wallet) });
    }),
  );
  return router;
}
