/**
 * Wallets: create, list a user's, change status. None of these moves money, so they
 * go straight to Postgres (DESIGN: reads and non-monetary writes skip Temporal).
 */
import { Router } from 'express';
import { changeWalletStatus, openWallet } from '../../services/wallets';
import { z } from 'zod';
import type { Currency } from '../../domain/money';
import type { Pool } from '../../db/pool';
import { listUserWallets } from '../../db/queries/wallets';
import type { TemporalDeps } from '../temporal';
import { envEndpoint } from '../env-endpoint';
import { presentWallet } from '../../wire/present';
import { currency, id, userId, walletStatus } from '../schemas';
import { getLimitStatuses } from '../../db/queries/spend-limits';
import { presentLimits } from './limits';

export const CreateBody = z.object({ env_id: id, user_id: userId, currency });
export const ListQuery = z.object({ env_id: id, user_id: userId });
export const StatusParams = z.object({ wallet_id: id });
export const StatusBody = z.object({ env_id: id, user_id: userId, status: walletStatus });

export function walletRoutes(pool: Pool, temporal?: TemporalDeps): Router {
  const router = Router();

  router.post(
    '/wallet',
    ...envEndpoint({ body: CreateBody }, 'body', async ({ body }, envId) => presentWallet(await openWallet(pool, envId, body.user_id, body.currency as Currency))),
  );

  router.get(
    '/wallet',
    ...envEndpoint({ query: ListQuery }, 'query', async ({ query }, envId) => {
      const wallets = await listUserWallets(pool, envId, query.user_id);
      // Spend limits (README, Spend limits): shown only on a wallet a limit applies to.
      const limits = await getLimitStatuses(pool, envId, wallets.map((w) => w.id));
      return {
        wallets: wallets.map((w) => {
          const status = limits.get(w.id);
          return status ? { ...presentWallet(w), limits: presentLimits(status) } : presentWallet(w);
        }),
      };
    }),
  );

  router.patch(
    '/wallet/:wallet_id/status',
    ...envEndpoint({ params: StatusParams, body: StatusBody }, 'body', async ({ params, body }, envId) => {
      const request = { envId, walletId: params.wallet_id, userId: body.user_id, status: body.status };
      const { id: walletId, balance, currency: cur, status, held } = presentWallet(await changeWalletStatus(pool, temporal, request));
      return { id: walletId, balance, held, currency: cur, status };
    }),
  );

  return router;
}
