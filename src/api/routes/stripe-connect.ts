/**
 * Where Stripe sends the user's browser after onboarding. Not authenticated by the
 * merchant's secret (the user's browser comes here): the withdrawal's unguessable link
 * token in the URL is the credential.
 *   return:  re-read the account; if it can receive payouts, tell the waiting workflow.
 *   refresh: the link expired or was used: a fresh one, through the workflow, and a redirect.
 */
import { Router } from 'express';
import { z } from 'zod';
import { DomainError } from '../../domain/errors';
import type { Pool } from '../../db/pool';
import { countLinkRefreshes, findWithdrawalByLink, setPayoutsEnabled } from '../../db/queries/withdrawals';
import { observeStripeCall } from '../../observability/metrics';
import { sendJson } from '../json';
import { id } from '../schemas';
import type { TemporalDeps } from '../temporal';
import { endpoint } from '../validate';
import { refreshOnboardingLink, signalAccountReady } from '../withdraw-temporal';
import { requireStripe, type StripeDeps } from './stripe-webhook';

export const linkInput = {
  params: z.object({ withdrawal_id: id }),
  // A browser link: extra query parameters (a tracker's utm_*) are ignored, not refused.
  query: z.looseObject({ token: z.string({ error: 'is required' }).min(1).max(128) }),
};

export function stripeConnectRoutes(pool: Pool, temporal: TemporalDeps, stripe: StripeDeps | undefined, maxLinkRefreshes?: number): Router {
  const router = Router();

  /** The withdrawal the link names, if the token is its own (404 otherwise: the token is the credential). */
  const linkedWithdrawal = async (withdrawalId: string, token: string) => {
    const w = await findWithdrawalByLink(pool, withdrawalId, token);
    if (!w) throw new DomainError('not_found', `withdrawal ${withdrawalId} not found`);
    return w;
  };

  router.get(
    '/stripe/connect/return/:withdrawal_id',
    ...endpoint(linkInput, async ({ params, query }, _req, res) => {
      const w = await linkedWithdrawal(params.withdrawal_id, query.token);
      let payoutsEnabled = false;
      if (w.stripeAccountId && w.status === 'awaiting_onboarding') {
        const accountId = w.stripeAccountId;
        const account = await observeStripeCall('accounts.retrieve', () => requireStripe(stripe).client.accounts.retrieve(accountId));
        payoutsEnabled = account.payouts_enabled === true;
        await setPayoutsEnabled(pool, w.envId, w.userId, w.stripeAccountId, payoutsEnabled);
        if (payoutsEnabled) await signalAccountReady(temporal, w.workflowId, 'return_url');
      }
      sendJson(res, 200, {
        withdrawal_id: w.id,
        status: payoutsEnabled ? 'processing' : w.status,
        payouts_enabled: payoutsEnabled,
        message: payoutsEnabled
          ? 'Your account is ready: the withdrawal is on its way. You can close this page.'
          : 'Stripe has not enabled payouts on your account yet; the withdrawal will continue once it does.',
      });
    }),
  );

  router.get(
    '/stripe/connect/refresh/:withdrawal_id',
    ...endpoint(linkInput, async ({ params, query }, _req, res) => {
      const w = await linkedWithdrawal(params.withdrawal_id, query.token);
      if (w.status !== 'awaiting_onboarding') {
        throw new DomainError('conflict', `the withdrawal is ${w.status}: no onboarding link is needed`, { status: w.status });
      }
      // Each refresh is a Stripe call and ~10 history events: bounded per withdrawal. The
      // workflow's update validator holds the same bound against concurrent fetches.
      if (maxLinkRefreshes !== undefined) {
        const refreshes = await countLinkRefreshes(pool, w.id);
        if (refreshes >= maxLinkRefreshes) {
          throw new DomainError(
            'conflict',
            `the onboarding link of withdrawal ${w.id} was refreshed ${refreshes} times, the limit: cancel it and start a new withdrawal`,
            { refreshes, limit: maxLinkRefreshes },
          );
        }
      }
      const progress = await refreshOnboardingLink(temporal, w);
      res.redirect(302, progress.url!);
    }),
  );

  return router;
}
