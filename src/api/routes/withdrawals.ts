/**
 * Withdrawals: POST /wallet/withdraw answers with the Stripe URL as soon as it exists
 * (the payout goes on in the workflow); reads come from Postgres; cancel is a workflow
 * update, refused with 409 once money has left.
 */
import { Router } from 'express';
import { z } from 'zod';
import { type Currency } from '../../domain/money';
import { money } from '../../wire/money';
import type { WithdrawalProgress } from '../../domain/withdrawals';
import type { Pool } from '../../db/pool';
import { listUserWithdrawals, listWithdrawalEvents } from '../../db/queries/withdrawals';
import { cancel, requireWithdrawal, withdraw, type WithdrawWaits } from '../../services/withdrawals';
import { requireEnv } from '../auth';
import { moneyEndpoint, movementAnswer } from '../money-endpoint';
import { sendJson } from '../json';
import { presentWithdrawal, presentWithdrawalEvent } from '../../wire/present';
import { amount, cursor, id, pageLimit, userId } from '../schemas';
import type { TemporalDeps } from '../temporal';
import { endpoint } from '../validate';

export const WithdrawBody = z.object({ env_id: id, user_id: userId, wallet_id: id, amount });
export const WithdrawalParams = z.object({ withdrawal_id: id });
export const EnvQuery = z.object({ env_id: id });
export const ListParams = z.object({ env_id: id, user_id: userId });
export const ListQuery = z.object({ limit: pageLimit, cursor });
export const CancelBody = z.object({ env_id: id });

function presentProgress(p: WithdrawalProgress, currency: Currency) {
  return { url: p.url, withdrawal_id: p.withdrawalId, status: p.status, fee: p.fee === undefined ? null : money(p.fee, currency) };
}

export function withdrawalRoutes(pool: Pool, temporal: TemporalDeps, waits: WithdrawWaits = {}): Router {
  const router = Router();

  router.post(
    '/wallet/withdraw',
    ...moneyEndpoint(pool, WithdrawBody, async (body, envId, idem) => {
      const request = { envId, userId: body.user_id, walletId: body.wallet_id, amount: body.amount };
      const { progress, currency, workflowId } = await withdraw({ pool, temporal, waits }, request, idem);
      return movementAnswer(workflowId, presentProgress(progress, currency));
    }),
  );

  router.get(
    '/wallet/withdrawals/:withdrawal_id',
    ...endpoint({ params: WithdrawalParams, query: EnvQuery }, async ({ params, query }, _req, res) => {
      const envId = requireEnv(res, query.env_id);
      const withdrawal = await requireWithdrawal(pool, envId, params.withdrawal_id);
      const timeline = await listWithdrawalEvents(pool, withdrawal.id);
      sendJson(res, 200, { ...presentWithdrawal(withdrawal), timeline: timeline.map(presentWithdrawalEvent) });
    }),
  );

  router.get(
    '/wallet/:env_id/withdrawals/:user_id',
    ...endpoint(
      { params: ListParams, query: ListQuery },
      async ({ params, query }, _req, res) => {
        const envId = requireEnv(res, params.env_id);
        const rows = await listUserWithdrawals(pool, envId, params.user_id, query.limit + 1, query.cursor ?? null);
        const page = rows.slice(0, query.limit);
        const nextCursor = rows.length > query.limit ? page[page.length - 1]!.id : null;
        sendJson(res, 200, { withdrawals: page.map(presentWithdrawal), next_cursor: nextCursor });
      },
    ),
  );

  router.post(
    '/wallet/withdrawals/:withdrawal_id/cancel',
    ...endpoint({ params: WithdrawalParams, body: CancelBody }, async ({ params, body }, _req, res) => {
      const envId = requireEnv(res, body.env_id);
      sendJson(res, 200, presentWithdrawal(await cancel(pool, temporal, envId, params.withdrawal_id)));
    }),
  );

  return router;
}
