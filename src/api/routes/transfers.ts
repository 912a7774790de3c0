/**
 * POST /wallet/transfer: from a wallet of the user to any wallet of the same
 * environment and currency. The route refuses what it can see cheaply (unknown or
 * foreign wallet, same wallet, other currency); the posting function checks status,
 * currency and funds again under the row locks.
 */
import { Router } from 'express';
import { z } from 'zod';
import { DomainError } from '../../domain/errors';
import { parseAmount } from '../../domain/money';
import type { TransferInput, TransferResult } from '../../domain/types';
import type { Pool } from '../../db/pool';
import { findWallet } from '../../db/queries/wallets';
import { requireEnv } from '../auth';
import { respondIdempotently } from '../idempotency';
import { presentTransfer, presentWallet } from '../../wire/present';
import { amount, id, userId } from '../schemas';
import { runMovement, type TemporalDeps } from '../temporal';
import { endpoint } from '../validate';
import { ownedWallet } from './movements';

const reference = z.preprocess(
  (v) => (v === null ? undefined : v),
  z.string({ error: 'must be a string' }).max(255, 'must be at most 255 characters').optional(),
);
export const TransferBody = z.object({ env_id: id, user_id: userId, wallet_id: id, to_wallet_id: id, amount, reference });

export function transferRoutes(pool: Pool, temporal: TemporalDeps): Router {
  const router = Router();
  router.post(
    '/wallet/transfer',
    ...endpoint(
      { body: TransferBody },
      async ({ body }, req, res) => {
        const envId = requireEnv(res, body.env_id);
        await respondIdempotently(pool, req, res, envId, async (idem) => {
          if (body.wallet_id === body.to_wallet_id) {
            throw new DomainError('invalid_request', 'to_wallet_id must be another wallet than wallet_id', { field: 'to_wallet_id' });
          }
          const from = await ownedWallet(pool, envId, body.wallet_id, body.user_id);
          const to = await findWallet(pool, envId, body.to_wallet_id);
          if (!to) throw new DomainError('not_found', `wallet ${body.to_wallet_id} not found`, { wallet_id: body.to_wallet_id });
          if (to.currency !== from.currency) {
            throw new DomainError('currency_mismatch', `wallet ${to.id} holds ${to.currency}, not ${from.currency}`, {
              wallet_id: to.id,
              wallet_currency: to.currency,
              currency: from.currency,
            });
          }
          const minor = parseAmount(body.amount, from.currency);
          const { result, workflowId } = await runMovement<TransferInput, TransferResult>(temporal, {
            kind: 'transfer',
            workflowType: 'transfer',
            envId,
            walletId: from.id,
            userId: from.userId,
            ...idem,
            args: {
              envId,
              fromWalletId: from.id,
              toWalletId: to.id,
              amount: minor.toString(),
              currency: from.currency,
              reference: body.reference ?? null,
            },
          });
          return {
            status: 200,
            workflowId,
            body: { transfer: presentTransfer(result.transfer), wallet: presentWallet(result.wallet) },
          };
        });
      },
    ),
  );
  return router;
}
