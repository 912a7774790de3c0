/**
 * Withdraw to the user's bank through Stripe Connect.
 *
 * hold → ensure the connected account → onboarding link (or dashboard link when the
 * account is ready), handed back through the update-with-start → wait for the account
 * to be ready → transfer → payout → wait for paid/failed → settle.
 *
 * Compensation: timeout, cancel or any failure before the transfer → release the hold;
 * a refused payout or a failed one → reverse the transfer and release. Every path ends
 * with the money paid out once or back in the wallet. Every wait is an input with a
 * default (tests run them in milliseconds).
 */
import {
  ActivityFailure,
  ApplicationFailure,
  allHandlersFinished,
  condition,
  setCurrentDetails,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { PayoutOutcome, WithdrawalProgress, WithdrawalStatus, WithdrawInput } from '../domain/withdrawals';
import type { FinishWithdrawalInput } from '../activities/withdrawals';
import { businessFailure } from './failures';
import { ledger, stripeMoney, stripeSetup } from './options';
import {
  accountReadySignal,
  cancelUpdate,
  payoutOutcomeSignal,
  progressQuery,
  refreshLinkUpdate,
  withdrawalUrlUpdate,
} from './withdraw-messages';

export const WITHDRAW_DEFAULTS = {
  onboardingTimeoutMs: 7 * 24 * 3600_000,
  payoutPollIntervalMs: 3600_000,
  payoutTimeoutMs: 30 * 24 * 3600_000,
};

const PROVIDER_ERROR = 'provider_error';

/** The Stripe refusal inside an activity failure, if that is what it is. */
function providerRefusal(err: unknown): ApplicationFailure | null {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  return cause instanceof ApplicationFailure && cause.type === PROVIDER_ERROR ? cause : null;
}

function conflict(message: string): ApplicationFailure {
  return ApplicationFailure.create({ type: 'conflict', message, nonRetryable: true });
}

export async function withdraw(input: WithdrawInput): Promise<WithdrawalProgress> {
  const waits = {
    onboardingTimeoutMs: input.onboardingTimeoutMs ?? WITHDRAW_DEFAULTS.onboardingTimeoutMs,
    payoutPollIntervalMs: input.payoutPollIntervalMs ?? WITHDRAW_DEFAULTS.payoutPollIntervalMs,
    payoutTimeoutMs: input.payoutTimeoutMs ?? WITHDRAW_DEFAULTS.payoutTimeoutMs,
  };
  const workflowId = workflowInfo().workflowId;
  const key = (step: string) => `${workflowId}:${step}`;

  let withdrawalId: string | null = null;
  let status: WithdrawalProgress['status'] = 'starting';
  let url: string | null = null;
  /** Why the URL will never come (the update answers with it). */
  let refusal: ApplicationFailure | null = null;
  let accountId: string | null = null;
  let accountReady = false;
  let cancelRequested = false;
  /** Set, synchronously, right before the transfer: from then on cancel is refused. */
  let moneyMoving = false;
  let seq = 0; // timeline position; 0 is funds_held (written with the hold)
  let links = 0;
  const outcomes = new Map<string, PayoutOutcome>(); // by payout id: a webhook may come before we know the id
  const finished = () => status !== 'starting' && status !== 'awaiting_onboarding' && status !== 'processing';
  const progress = (): WithdrawalProgress => ({ withdrawalId, status, url });

  setHandler(progressQuery, progress);
  setHandler(withdrawalUrlUpdate, async () => {
    await condition(() => url !== null || refusal !== null || finished());
    if (url === null && refusal) throw refusal;
    return progress();
  });
  setHandler(accountReadySignal, () => {
    accountReady = true;
  });
  setHandler(payoutOutcomeSignal, (outcome) => {
    if (!outcomes.has(outcome.payoutId)) outcomes.set(outcome.payoutId, outcome); // duplicates: first wins
  });
  setHandler(
    cancelUpdate,
    async () => {
      cancelRequested = true;
      await condition(finished);
      return progress();
    },
    {
      validator: () => {
        if (status === 'canceled') return;
        if (moneyMoving || finished()) throw conflict(`the withdrawal is ${status}: money has left or it has ended, it cannot be canceled`);
      },
    },
  );
  setHandler(
    refreshLinkUpdate,
    async () => {
      const link = await stripeSetup.createOnboardingLink({ accountId: accountId!, withdrawalId: withdrawalId!, idempotencyKey: key(`link-${++links}`) });
      url = link.url;
      await ledger.recordWithdrawal({ withdrawalId: withdrawalId!, seq: ++seq, step: 'onboarding_link_refreshed' });
      return progress();
    },
    {
      validator: () => {
        if (status !== 'awaiting_onboarding' || accountId === null || accountReady) {
          throw conflict(`the withdrawal is ${status}: no onboarding link is needed`);
        }
      },
    },
  );

  const record = (step: string, detail: Record<string, unknown> = {}, change?: { status?: WithdrawalStatus; stripeAccountId?: string; stripeTransferId?: string; stripePayoutId?: string }) =>
    ledger.recordWithdrawal({ withdrawalId: withdrawalId!, seq: ++seq, step, detail, ...(change ? { change } : {}) });
  const finish = async (f: Omit<FinishWithdrawalInput, 'withdrawalId' | 'seq'>): Promise<WithdrawalProgress> => {
    await ledger.finishWithdrawal({ ...f, withdrawalId: withdrawalId!, seq: ++seq });
    status = f.status;
    setCurrentDetails(`${f.status}`);
    // Let the update and cancel handlers answer before the workflow closes.
    await condition(allHandlersFinished);
    return progress();
  };
  const releaseFailed = (step: string, failure: { code: string; message: string }, detail: Record<string, unknown> = {}) =>
    finish({ outcome: 'release', status: 'failed', step, detail, failureCode: failure.code, failureMessage: failure.message });

  // 1. Hold. A refusal (insufficient funds, wallet not active) ends here: nothing was held.
  try {
    const held = await ledger.holdWithdrawal({ ...input, workflowId });
    withdrawalId = held.withdrawal.id;
    status = 'awaiting_onboarding';
  } catch (err) {
    const refused = businessFailure(err);
    if (!refused) throw err;
    refusal = refused;
    await condition(allHandlersFinished);
    throw refused;
  }

  // 2. The user's connected account and the URL to show them.
  /** A ready account's dashboard link: handed back once the status says `processing`. */
  let dashboardUrl: string | null = null;
  try {
    const account = await stripeSetup.ensureConnectedAccount({ envId: input.envId, userId: input.userId });
    accountId = account.accountId;
    accountReady = accountReady || account.payoutsEnabled;
    await record('account', { stripe_account_id: accountId, payouts_enabled: account.payoutsEnabled }, { stripeAccountId: accountId });
    if (accountReady) {
      dashboardUrl = (await stripeSetup.createDashboardLink({ accountId, idempotencyKey: key('dashboard-link') })).url;
      await record('dashboard_link_created');
    } else {
      url = (await stripeSetup.createOnboardingLink({ accountId, withdrawalId, idempotencyKey: key(`link-${++links}`) })).url;
      await record('onboarding_link_created');
    }
  } catch (err) {
    // Nothing left the platform: release. The update answers with the refusal.
    if (!(err instanceof ActivityFailure)) throw err;
    const message = providerRefusal(err)?.message ?? 'Stripe did not answer in time';
    refusal = ApplicationFailure.create({ type: PROVIDER_ERROR, message, nonRetryable: true });
    return releaseFailed('funds_released', { code: PROVIDER_ERROR, message }, { reason: 'stripe_setup_failed' });
  }

  // 3. Wait for the account to be able to receive payouts.
  if (!accountReady) {
    setCurrentDetails('waiting for signal accountReady (account.updated webhook with payouts_enabled, or the return URL)');
    const ready = await condition(() => accountReady || cancelRequested, waits.onboardingTimeoutMs);
    if (!ready) {
      return finish({ outcome: 'release', status: 'expired', step: 'funds_released', detail: { reason: 'onboarding_timeout' } });
    }
    if (!cancelRequested) await record('onboarding_complete');
  }
  if (cancelRequested) {
    return finish({ outcome: 'release', status: 'canceled', step: 'funds_released', detail: { reason: 'canceled' } });
  }

  // 4. Transfer to the connected account. From here on cancel is refused.
  moneyMoving = true;
  status = 'processing';
  await record('processing', {}, { status: 'processing' });
  url ??= dashboardUrl;
  const money = { accountId: accountId!, amount: input.amount, currency: input.currency, envId: input.envId, withdrawalId: withdrawalId! };
  let transferId: string;
  try {
    transferId = (await stripeMoney.createTransfer({ ...money, idempotencyKey: key('transfer') })).transferId;
  } catch (err) {
    const refused = providerRefusal(err);
    if (!refused) throw err;
    return releaseFailed('funds_released', { code: PROVIDER_ERROR, message: refused.message }, { reason: 'transfer_refused' });
  }
  await record('transfer_created', { stripe_transfer_id: transferId }, { stripeTransferId: transferId });

  const reverseAndRelease = async (failure: { code: string; message: string }) => {
    const reversal = await stripeMoney.reverseTransfer({ transferId, idempotencyKey: key('reversal') });
    await record('transfer_reversed', { stripe_reversal_id: reversal.reversalId });
    return releaseFailed('funds_released', failure);
  };

  // 5. Payout from the connected account to the user's bank.
  let payoutId: string;
  try {
    payoutId = (await stripeMoney.createPayout({ ...money, idempotencyKey: key('payout') })).payoutId;
  } catch (err) {
    const refused = providerRefusal(err);
    if (!refused) throw err;
    await record('payout_refused', { message: refused.message });
    return reverseAndRelease({ code: PROVIDER_ERROR, message: refused.message });
  }
  await record('payout_created', { stripe_payout_id: payoutId }, { stripePayoutId: payoutId });

  // 6. Wait for payout.paid / payout.failed; poll the payout when no webhook comes.
  setCurrentDetails(`waiting for signal payoutOutcome (payout.paid / payout.failed webhook) for ${payoutId}`);
  // The bound is the time spent waiting (timers), not a clock reading, so the loop is
  // a pure function of its inputs and signals; the polls between waits take seconds.
  let waited = 0;
  let outcome: PayoutOutcome | undefined;
  while (!outcome) {
    const remaining = waits.payoutTimeoutMs - waited;
    if (remaining <= 0) {
      // The money is on its way or in the account: it can be neither released nor settled
      // blindly. The hold stays (the ledger is still exact) for an operator.
      throw ApplicationFailure.create({ type: 'payout_timeout', message: `no outcome for payout ${payoutId}`, nonRetryable: true });
    }
    const wait = Math.min(waits.payoutPollIntervalMs, remaining);
    if (await condition(() => outcomes.has(payoutId), wait)) {
      outcome = outcomes.get(payoutId)!;
      break;
    }
    waited += wait;
    const polled = await stripeMoney.retrievePayout({ accountId: accountId!, payoutId });
    if (polled.status === 'paid') outcome = { payoutId, status: 'paid' };
    else if (polled.status === 'failed' || polled.status === 'canceled') {
      outcome = { payoutId, status: 'failed', failureCode: polled.failureCode ?? `payout_${polled.status}`, failureMessage: polled.failureMessage };
    }
  }

  if (outcome.status === 'paid') {
    await record('payout_paid', { stripe_payout_id: payoutId });
    return finish({ outcome: 'settle', status: 'paid', step: 'paid_out' });
  }
  await record('payout_failed', { stripe_payout_id: payoutId, failure_code: outcome.failureCode });
  return reverseAndRelease({ code: outcome.failureCode ?? 'payout_failed', message: outcome.failureMessage ?? 'the payout failed' });
}
