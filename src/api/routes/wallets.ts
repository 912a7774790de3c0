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
import { requireEnv } from '../auth';
import { sendJson } from '../json';
import { presentWallet } from '../../wire/present';
import { currency, id, userId, walletStatus } from '../schemas';
import { endpoint } from '../validate';
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
    ...endpoint({ body: CreateBody }, async ({ body }, _req, res) => {
      const envId = requireEnv(res, body.env_id);
      const wallet = await openWallet(pool, envId, body.user_id, body.currency as Currency);
      sendJson(res, 200, presentWallet(wallet));
    }),
  );

  router.get(
    '/wallet',
    ...endpoint({ query: ListQuery }, async ({ query }, _req, res) => {
      const envId = requireEnv(res, query.env_id);
      const wallets = await listUserWallets(pool, envId, query.user_id);
      // Spend limits (README, Spend limits): shown only on a wallet a limit applies to
      // (none limited: no query).
      const limits = await getLimitStatuses(pool, envId, wallets.filter((w) => w.spendLimited).map((w) => w.id));
      sendJson(res, 200, {
        wallets: wallets.map((w) => {
          const status = limits.get(w.id);
          return status ? { ...presentWallet(w), limits: presentLimits(status) } : presentWallet(w);
        }),
      });
    }),
  );

  router.patch(
    '/wallet/:wallet_id/status',
    ...endpoint(
      { params: StatusParams, body: StatusBody },
      async ({ params, body }, _req, res) => {
        const envId = requireEnv(res, body.env_id);
        const request = { envId, walletId: params.wallet_id, userId: body.user_id, status: body.status };
        const wallet = await changeWalletStatus(pool, temporal, request);
        const { id: walletId, balance, currency: cur, status, held } = presentWallet(wallet);
        sendJson(res, 200, { id: walletId, balance, held, currency: cur, status });
      },
    ),
  );

  return router;
}
