/**
 * Wallets: create, list a user's, change status. None of these moves money, so they
 * go straight to Postgres (DESIGN: reads and non-monetary writes skip Temporal).
 */
import { Router } from 'express';
import { z } from 'zod';
import { DomainError } from '../../domain/errors';
import type { Currency } from '../../domain/money';
import type { WalletStatus } from '../../domain/types';
import { withTransaction, type Pool } from '../../db/pool';
import { createWallet, listUserWallets, lockWallets, updateWalletStatus } from '../../db/queries/wallets';
import { recordEvent } from '../../db/queries/outbox';
import { endWalletSchedules } from '../../db/queries/schedules';
import type { Schedule } from '../../domain/schedules';
import { presentSchedule } from '../../wire/present';
import { deleteTemporalSchedule } from '../schedules-temporal';
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
const ALLOWED: Record<WalletStatus, WalletStatus[]> = {
  active: ['active', 'suspended', 'closed'],
  suspended: ['active', 'suspended', 'closed'],
  closed: ['closed'],
};

export function walletRoutes(pool: Pool, temporal?: TemporalDeps): Router {
  const router = Router();

  router.post(
    '/wallet',
    ...endpoint({ body: CreateBody }, async ({ body }, _req, res) => {
      const envId = requireEnv(res, body.env_id);
      const wallet = await withTransaction(pool, async (client) => {
        const made = await createWallet(client, envId, body.user_id, body.currency as Currency);
        // Outbox: the event commits with the wallet, and only a new wallet has one.
        if (made.created) await recordEvent(client, envId, 'wallet.created', { wallet: presentWallet(made.wallet) });
        return made.wallet;
      });
      sendJson(res, 200, presentWallet(wallet));
    }),
  );

  router.get(
    '/wallet',
    ...endpoint({ query: ListQuery }, async ({ query }, _req, res) => {
      const envId = requireEnv(res, query.env_id);
      const wallets = await listUserWallets(pool, envId, query.user_id);
      // Spend limits (README, Spend limits): shown only on a wallet a limit applies to.
      const limits = await getLimitStatuses(pool, envId, wallets.map((w) => w.id));
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
        let ended: Schedule[] = [];
        const wallet = await withTransaction(pool, async (client) => {
          const [current] = await lockWallets(client, envId, [params.wallet_id]);
          if (!current || current.userId !== body.user_id) {
            throw new DomainError('not_found', `wallet ${params.wallet_id} not found`, { wallet_id: params.wallet_id });
          }
          if (!ALLOWED[current.status].includes(body.status)) {
            throw new DomainError('conflict', `a ${current.status} wallet cannot become ${body.status}`, {
              status: current.status,
            });
          }
          if (body.status === 'closed' && (current.balance !== '0' || current.held !== '0')) {
            throw new DomainError('conflict', 'only a wallet with zero balance and nothing held can be closed', {
              status: current.status,
            });
          }
          if (current.status === body.status) return current;
          const updated = await updateWalletStatus(client, current.id, body.status);
          await recordEvent(client, envId, 'wallet.status_changed', {
            previous_status: current.status,
            wallet: presentWallet(updated),
          });
          // Closing a wallet ends the schedules paying from or to it, in the same commit.
          if (body.status === 'closed') {
            ended = await endWalletSchedules(client, envId, current.id, 'wallet_closed');
            for (const s of ended) await recordEvent(client, envId, 'schedule.ended', { schedule: presentSchedule(s), reason: 'wallet_closed' });
          }
          return updated;
        });
        // Then their Temporal Schedules. Best effort: a run of an ended schedule moves
        // nothing and deletes its Temporal Schedule itself (src/workflows/schedule-run.ts).
        if (temporal) {
          await Promise.all(ended.map((s) => deleteTemporalSchedule(temporal, s.temporalScheduleId).catch(() => undefined)));
        }
        const { id: walletId, balance, currency: cur, status, held } = presentWallet(wallet);
        sendJson(res, 200, { id: walletId, balance, held, currency: cur, status });
      },
    ),
  );

  return router;
}
