/**
 * Money movements: each request runs a workflow (route → workflow → activity → SQL).
 * The route checks what it can cheaply (tenancy, amount precision for the wallet's
 * currency) so bad requests never start a workflow; the posting function checks it
 * all again under the row lock.
 */
import { Router } from 'express';
import { z } from 'zod';
import { DomainError } from '../../domain/errors';
import { parseAmount } from '../../domain/money';
import type { PaymentInput, PaymentResult, TopupInput, TopupResult, Wallet } from '../../domain/types';
import type { Pool } from '../../db/pool';
import { findWallet } from '../../db/queries/wallets';
import { requireEnv } from '../auth';
import { respondIdempotently } from '../idempotency';
import { presentOrder, presentWallet } from '../../wire/present';
import { amount, id, productId, userId } from '../schemas';
import { runMovement, type TemporalDeps } from '../temporal';
import { endpoint } from '../validate';

export const TopupBody = z.object({ env_id: id, user_id: userId, wallet_id: id, amount });
export const PaymentBody = z.object({ env_id: id, user_id: userId, wallet_id: id, amount, product_id: productId });
export async function ownedWallet(pool: Pool, envId: string, walletId: string, user: string): Promise<Wallet> {
  const wallet = await findWallet(pool, envId, walletId, user);
  if (!wallet) throw new DomainError('not_found', `wallet ${walletId} not found for user ${user}`, { wallet_id: walletId });
  return wallet;
}

export function movementRoutes(pool: Pool, temporal: TemporalDeps): Router {
  const router = Router();

  router.post(
    '/wallet/topup',
    ...endpoint({ body: TopupBody }, async ({ body }, req, res) => {
      const envId = requireEnv(res, body.env_id);
      await respondIdempotently(pool, req, res, envId, async (idem) => {
        const wallet = await ownedWallet(pool, envId, body.wallet_id, body.user_id);
        const minor = parseAmount(body.amount, wallet.currency);
        const { result, workflowId } = await runMovement<TopupInput, TopupResult>(temporal, {
          kind: 'topup',
          workflowType: 'topup',
          envId,
          walletId: wallet.id,
          userId: wallet.userId,
          ...idem,
          args: { envId, walletId: wallet.id, amount: minor.toString(), currency: wallet.currency },
        });
        const after = presentWallet(result.wallet);
        return { status: 200, workflowId, body: { transaction_id: result.transactionId, wallet: after, wallets: [after] } };
      });
    }),
  );

  router.post(
    '/wallet/payment',
    ...endpoint(
      { body: PaymentBody },
      async ({ body }, req, res) => {
        const envId = requireEnv(res, body.env_id);
        await respondIdempotently(pool, req, res, envId, async (idem) => {
          const wallet = await ownedWallet(pool, envId, body.wallet_id, body.user_id);
          const minor = parseAmount(body.amount, wallet.currency);
          const { result, workflowId } = await runMovement<PaymentInput, PaymentResult>(temporal, {
            kind: 'payment',
            workflowType: 'payment',
            envId,
            walletId: wallet.id,
            userId: wallet.userId,
            ...idem,
            args: {
              envId,
              walletId: wallet.id,
              userId: wallet.userId,
              productId: body.product_id,
              amount: minor.toString(),
              currency: wallet.currency,
              ...(temporal.paymentTwoSteps ? { twoSteps: true as const } : {}),
            },
          });
          // `wallets` repeats the wallet because the docs' payment snippet reads
          // response.json()["wallets"][0]["user_id"] from this answer.
          const after = presentWallet(result.wallet);
          return { status: 200, workflowId, body: { order: presentOrder(result.order), wallet: after, wallets: [after] } };
        });
      },
    ),
  );

  return router;
}
