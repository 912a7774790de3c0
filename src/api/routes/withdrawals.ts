/**
 * Withdrawals: POST /wallet/withdraw answers with the Stripe URL as soon as it exists
 * (the payout goes on in the workflow); reads come from Postgres; cancel is a workflow
 * update, refused with 409 once money has left.
 */
import { Router } from 'express';
import { z } from 'zod';
import { DomainError } from '../../domain/errors';
import { parseAmount } from '../../domain/money';
import type { WithdrawalProgress } from '../../domain/withdrawals';
import type { Pool } from '../../db/pool';
import { findWallet } from '../../db/queries/wallets';
import { findWithdrawal, listUserWithdrawals, listWithdrawalEvents } from '../../db/queries/withdrawals';
import { requireEnv } from '../auth';
import { respondIdempotently } from '../idempotency';
import { sendJson } from '../json';
import { presentWithdrawal, presentWithdrawalEvent } from '../../wire/present';
import { amount, cursor, id, pageLimit, userId } from '../schemas';
import type { TemporalDeps } from '../temporal';
import { endpoint } from '../validate';
import { cancelWithdrawal, startWithdrawal } from '../withdraw-temporal';

/** The workflow waits the API passes in (config); unset ones take the workflow's defaults. */
export interface WithdrawWaits {
  onboardingTimeoutMs?: number;
  payoutPollIntervalMs?: number;
  payoutTimeoutMs?: number;
  /** How many fresh onboarding links the refresh URL may ask for per withdrawal (WITHDRAW_MAX_LINK_REFRESHES). */
  maxLinkRefreshes?: number;
}

export const WithdrawBody = z.object({ env_id: id, user_id: userId, wallet_id: id, amount });
export const WithdrawalParams = z.object({ withdrawal_id: id });
export const EnvQuery = z.object({ env_id: id });
export const ListParams = z.object({ env_id: id, user_id: userId });
export const ListQuery = z.object({ limit: pageLimit, cursor });
export const CancelBody = z.object({ env_id: id });

function presentProgress(p: WithdrawalProgress) {
  return { url: p.url, withdrawal_id: p.withdrawalId, status: p.status };
}

export function withdrawalRoutes(pool: Pool, temporal: TemporalDeps, waits: WithdrawWaits = {}): Router {
  const router = Router();

  router.post(
    '/wallet/withdraw',
    ...endpoint({ body: WithdrawBody }, async ({ body }, req, res) => {
      const envId = requireEnv(res, body.env_id);
      await respondIdempotently(pool, req, res, envId, async (idem) => {
        const wallet = await findWallet(pool, envId, body.wallet_id, body.user_id);
        if (!wallet) throw new DomainError('not_found', `wallet ${body.wallet_id} not found for user ${body.user_id}`, { wallet_id: body.wallet_id });
        const minor = parseAmount(body.amount, wallet.currency);
        const { progress, workflowId } = await startWithdrawal(temporal, pool, {
          ...idem,
          input: { envId, walletId: wallet.id, userId: wallet.userId, amount: minor.toString(), currency: wallet.currency, ...waits },
        });
        return { status: 200, workflowId, body: presentProgress(progress) };
      });
    }),
  );

  router.get(
    '/wallet/withdrawals/:withdrawal_id',
    ...endpoint({ params: WithdrawalParams, query: EnvQuery }, async ({ params, query }, _req, res) => {
      const envId = requireEnv(res, query.env_id);
      const withdrawal = await findWithdrawal(pool, envId, params.withdrawal_id);
      if (!withdrawal) throw new DomainError('not_found', `withdrawal ${params.withdrawal_id} not found`);
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
      const withdrawal = await findWithdrawal(pool, envId, params.withdrawal_id);
      if (!withdrawal) throw new DomainError('not_found', `withdrawal ${params.withdrawal_id} not found`);
      if (withdrawal.status === 'canceled') return sendJson(res, 200, presentWithdrawal(withdrawal));
      if (withdrawal.status !== 'awaiting_onboarding') {
        throw new DomainError('conflict', `the withdrawal is ${withdrawal.status}: it can no longer be canceled`, { status: withdrawal.status });
      }
      await cancelWithdrawal(temporal, withdrawal);
      sendJson(res, 200, presentWithdrawal((await findWithdrawal(pool, envId, withdrawal.id))!));
    }),
  );

  return router;
}
