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
import { movementHeaders, registerRoute, TransferSchema, WalletSchema } from '../openapi';

const reference = z.preprocess(
  (v) => (v === null ? undefined : v),
  z.string({ error: 'must be a string' }).max(255, 'must be at most 255 characters').optional(),
);
export const TransferBody = z.object({ env_id: id, user_id: userId, wallet_id: id, to_wallet_id: id, amount, reference });

registerRoute({
  method: 'post', path: '/wallet/transfer', tags: ['movements'], summary: 'Transfer between two wallets of the environment',
  description:
    "From a wallet of the user to any other wallet of the same environment and currency. Runs the `transfer` workflow. Responds with the `Workflow-Id` header.",
  request: {
    body: TransferBody,
    headers: movementHeaders,
    bodyExample: { env_id: 123, user_id: 123, wallet_id: 123, to_wallet_id: 124, amount: 25.5, reference: 'rent march' },
  },
  responses: {
    200: {
      description: 'The transfer and the source wallet after it. The Temporal workflow that moved the money is in the `Workflow-Id` header.',
      schema: z.object({ transfer: TransferSchema, wallet: WalletSchema }),
      example: {
        transfer: { id: '700000001', env_id: '123', from_wallet_id: '123', to_wallet_id: '124', amount: 25.5, currency: 'USD', reference: 'rent march' },
        wallet: { id: '123', user_id: '123', env_id: '123', balance: 974.5, held: 0, currency: 'USD', status: 'active', created_at: '2026-01-01T00:00:00.000Z' },
      },
    },
    409: { description: 'The Idempotency-Key was used with another request' },
  },
});

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
