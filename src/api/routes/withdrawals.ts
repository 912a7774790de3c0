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
import { envEndpoint } from '../env-endpoint';
import { moneyEndpoint, movementAnswer, walletRequest } from '../money-endpoint';
import { PageQuery, UserRowsParams, userRowsEndpoint } from '../pagination';
import { presentWithdrawal, presentWithdrawalEvent } from '../../wire/present';
import { amount, id, userId } from '../schemas';
import type { TemporalDeps } from '../temporal';

export const WithdrawBody = z.object({ env_id: id, user_id: userId, wallet_id: id, amount });
export const WithdrawalParams = z.object({ withdrawal_id: id });
export const EnvQuery = z.object({ env_id: id });
export const ListParams = UserRowsParams;
export const ListQuery = PageQuery;
export const CancelBody = z.object({ env_id: id });

function presentProgress(p: WithdrawalProgress, currency: Currency) {
  return { url: p.url, withdrawal_id: p.withdrawalId, status: p.status, fee: p.fee === undefined ? null : money(p.fee, currency) };
}

export function withdrawalRoutes(pool: Pool, temporal: TemporalDeps, waits: WithdrawWaits = {}): Router {
  const router = Router();

  router.post(
    '/wallet/withdraw',
    ...moneyEndpoint(pool, WithdrawBody, async (body, envId, idem) => {
      const { progress, currency, workflowId } = await withdraw({ pool, temporal, waits }, walletRequest(body, envId), idem);
      return movementAnswer(workflowId, presentProgress(progress, currency));
    }),
  );

  router.get(
    '/wallet/withdrawals/:withdrawal_id',
    ...envEndpoint({ params: WithdrawalParams, query: EnvQuery }, 'query', async ({ params }, envId) => {
      const withdrawal = await requireWithdrawal(pool, envId, params.withdrawal_id);
      const timeline = await listWithdrawalEvents(pool, withdrawal.id);
      return { ...presentWithdrawal(withdrawal), timeline: timeline.map(presentWithdrawalEvent) };
    }),
  );

  router.get('/wallet/:env_id/withdrawals/:user_id', ...userRowsEndpoint(pool, 'withdrawals', listUserWithdrawals, presentWithdrawal));

  router.post(
    '/wallet/withdrawals/:withdrawal_id/cancel',
    ...envEndpoint({ params: WithdrawalParams, body: CancelBody }, 'body', async ({ params }, envId) =>
      presentWithdrawal(await cancel(pool, temporal, envId, params.withdrawal_id)),
    ),
  );

  return router;
}
