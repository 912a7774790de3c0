/**
 * Withdraw to the user's bank through Stripe Connect.
 *
 * hold → ensure the connected account → onboarding link (or dashboard link when the
 * account is ready), handed back through the update-with-start → wait for the account
 * to be ready → transfer → payout → wait for paid/failed → settle.
 *
 * Compensation: timeout, cancel or any failure before the transfer → release the hold;
 * a refused payout or a failed one → reverse the transfer and release. Every path ends
 * with the money paid out once or back in the wallet, or, when that cannot be known or
 * done (no payout outcome in time, reversal refused, payout.failed after payout.paid),
 * with the withdrawal `needs_attention` for an operator. Every wait is an input with a
 * default (tests run them in milliseconds).
 *
 * Temporal cancellation (Web UI, `temporal workflow cancel`): before the transfer, the
 * hold is released in a non-cancellable scope and the workflow ends Canceled (withdrawal
 * `canceled`); from the transfer on, the request is ignored (timeline step
 * `cancel_ignored`) and the saga runs to its end. Changed command sequences are behind
 * patched() so histories recorded before replay as they ran.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  CancelledFailure,
  allHandlersFinished,
  condition,
  isCancellation,
  patched,
  setCurrentDetails,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { AttentionReason, PayoutOutcome, WithdrawalProgress, WithdrawalStatus, WithdrawInput } from '../domain/withdrawals';
import type { FinishWithdrawalInput } from '../activities/withdrawals';
import { ledgerStepId } from '../domain/postings';
import { businessFailure, PROVIDER_ERROR, providerRefusal } from './failures';
import { database, stripeMoney, stripeSetup } from './options';
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

/** patched() ids: each guards a branch whose commands differ from what older code recorded. */
export const WITHDRAW_PATCHES = {
  /** Temporal cancellation before the transfer: release the hold and end canceled. */
  cancelReleases: 'withdraw-temporal-cancel-releases-hold',
  /** From the transfer on, run non-cancellable: a Temporal cancel is noted and ignored. */
  cancelIgnoredAfterTransfer: 'withdraw-temporal-cancel-ignored-after-transfer',
  /** No payout outcome within payoutTimeoutMs: needs_attention instead of failing the workflow. */
  payoutTimeout: 'withdraw-payout-timeout-needs-attention',
  /** Stripe refused the transfer reversal: needs_attention instead of failing the workflow. */
  reversalRefused: 'withdraw-reversal-refused-needs-attention',
  /** payout.failed after payout.paid (the money came back to the connected account): needs_attention after the settle. */
  failedAfterPaid: 'withdraw-payout-failed-after-paid',
} as const;

/** A money step's failure: Stripe's refusal is the workflow's to handle, anything else fails it (rethrown as it came). */
function refusalOrRethrow(err: unknown): ApplicationFailure {
  const refused = providerRefusal(err);
  if (!refused) throw err;
  return refused;
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
  /** The workflow's root scope: an operator's Temporal cancel request lands here. */
  const root = CancellationScope.current();
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
  /** A payout.failed that came after payout.paid for the same payout (Stripe sends these). */
  let failedAfterPaid: Extract<PayoutOutcome, { status: 'failed' }> | null = null;
  /** The timeline step saying a Temporal cancel was ignored (money had left), once written. */
  let cancelNote: Promise<unknown> | null = null;
  const finished = () => status !== 'starting' && status !== 'awaiting_onboarding' && status !== 'processing';
  /** The withdrawal fee the hold charged (absent in histories from before fees). */
  let fee: string | undefined;
  const progress = (): WithdrawalProgress => ({ withdrawalId, status, url, ...(fee !== undefined ? { fee } : {}) });

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
    const first = outcomes.get(outcome.payoutId);
    if (!first) outcomes.set(outcome.payoutId, outcome); // duplicates: first wins
    else if (first.status === 'paid' && outcome.status === 'failed') failedAfterPaid ??= outcome;
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
      await database.recordWithdrawal({ withdrawalId: withdrawalId!, seq: ++seq, step: 'onboarding_link_refreshed' });
      return progress();
    },
    {
      validator: () => {
        if (status !== 'awaiting_onboarding' || accountId === null || accountReady) {
          throw conflict(`the withdrawal is ${status}: no onboarding link is needed`);
        }
        // Each refresh costs a Stripe call and history events: bounded (links counts the first one too).
        if (input.maxLinkRefreshes !== undefined && links - 1 >= input.maxLinkRefreshes) {
          throw conflict(`the onboarding link of this withdrawal was refreshed ${links - 1} times, the limit: cancel it and start a new withdrawal`);
        }
      },
    },
  );

  const record = (step: string, detail: Record<string, unknown> = {}, change?: { status?: WithdrawalStatus; stripeAccountId?: string; stripeTransferId?: string; stripePayoutId?: string }) =>
    database.recordWithdrawal({ withdrawalId: withdrawalId!, seq: ++seq, step, detail, ...(change ? { change } : {}) });
  const finish = async (f: Omit<FinishWithdrawalInput, 'withdrawalId' | 'seq' | 'idempotencyId'>): Promise<WithdrawalProgress> => {
    if (cancelNote) await cancelNote;
    await database.finishWithdrawal({ ...f, withdrawalId: withdrawalId!, seq: ++seq, idempotencyId: ledgerStepId(workflowId, f.outcome) });
    status = f.status;
    setCurrentDetails(`${f.status}`);
    // Let the update and cancel handlers answer before the workflow closes.
    await condition(allHandlersFinished);
    return progress();
  };
  const releaseFailed = (step: string, failure: { code: string; message: string }, detail: Record<string, unknown> = {}) =>
    finish({ outcome: 'release', status: 'failed', step, detail, failureCode: failure.code, failureMessage: failure.message });
  /** Money may have left and the workflow cannot end it: the hold (or the settle) stays for an operator. */
  const attention = async (
    reason: AttentionReason,
    detail: Record<string, unknown>,
    failure: { code?: string; message: string },
  ): Promise<WithdrawalProgress> => {
    if (cancelNote) await cancelNote;
    await database.markWithdrawalNeedsAttention({
      withdrawalId: withdrawalId!,
      seq: ++seq,
      step: 'needs_attention',
      reason,
      detail,
      failureCode: failure.code ?? reason,
      failureMessage: failure.message,
    });
    status = 'needs_attention';
    setCurrentDetails(`needs_attention (${reason}): an operator decides`);
    await condition(allHandlersFinished);
    return progress();
  };

  // 1. Hold. A refusal (insufficient funds, wallet not active) ends here: nothing was held.
  // Non-cancellable: a cancel during the hold must not leave a hold the workflow does not know of.
  try {
    const held = await CancellationScope.nonCancellable(() => database.holdWithdrawal({ ...input, workflowId, idempotencyId: ledgerStepId(workflowId, 'hold') }));
    withdrawalId = held.withdrawal.id;
    fee = held.withdrawal.fee;
    status = 'awaiting_onboarding';
  } catch (err) {
    const refused = businessFailure(err);
    if (!refused) throw err;
    refusal = refused;
    await condition(allHandlersFinished);
    throw refused;
  }

  /** A ready account's dashboard link: handed back once the status says `processing`. */
  let dashboardUrl: string | null = null;
  /** Steps 2 and 3: a finished withdrawal (released), or null to go on to the transfer. */
  const beforeMoney = async (): Promise<WithdrawalProgress | null> => {
    // 2. The user's connected account and the URL to show them.
    try {
      const account = await stripeSetup.ensureConnectedAccount({ envId: input.envId, userId: input.userId });
      accountId = account.accountId;
      accountReady = accountReady || account.payoutsEnabled;
      await record('account', { stripe_account_id: accountId, payouts_enabled: account.payoutsEnabled }, { stripeAccountId: accountId });
      if (accountReady) {
        dashboardUrl = (await stripeSetup.createDashboardLink({ accountId, idempotencyKey: key('dashboard-link') })).url;
        await record('dashboard_link_created');
      } else {
        url = (await stripeSetup.createOnboardingLink({ accountId, withdrawalId: withdrawalId!, idempotencyKey: key(`link-${++links}`) })).url;
        await record('onboarding_link_created');
      }
    } catch (err) {
      // Nothing left the platform: release. The update answers with the refusal.
      if (isCancellation(err) || !(err instanceof ActivityFailure)) throw err;
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
    return null;
  };

  /** Temporal cancellation while no money has left: release (nothing can cancel that) and end canceled. */
  const releaseCanceled = (err: unknown) =>
    CancellationScope.nonCancellable(async () => {
      await finish({ outcome: 'release', status: 'canceled', step: 'funds_released', detail: { reason: 'workflow_canceled' } });
      throw err; // the workflow ends Canceled in Temporal, as the operator asked
    });
  let ended: WithdrawalProgress | null;
  try {
    ended = await beforeMoney();
  } catch (err) {
    if (!isCancellation(err) || !patched(WITHDRAW_PATCHES.cancelReleases)) throw err;
    return releaseCanceled(err);
  }
  if (ended) return ended;
  if (root.consideredCancelled && patched(WITHDRAW_PATCHES.cancelReleases)) {
    return releaseCanceled(new CancelledFailure('Workflow cancelled'));
  }

  // 4. Transfer to the connected account. From here on cancel is refused: the API's cancel
  // update by its validator, a Temporal cancel by running the rest non-cancellable.
  moneyMoving = true;
  if (!patched(WITHDRAW_PATCHES.cancelIgnoredAfterTransfer)) return toTheEnd(); // histories recorded before
  void root.cancelRequested.catch(() => {
    cancelNote ??= CancellationScope.nonCancellable(() =>
      record('cancel_ignored', { source: 'temporal', reason: 'the transfer was scheduled: money has left, the withdrawal is carried to its end' }),
    );
  });
  return CancellationScope.nonCancellable(async () => {
    const result = await toTheEnd();
    if (cancelNote) await cancelNote; // a request that came during the last step
    return result;
  });

  /** Steps 4 to 6: transfer, payout, outcome; settled, released after a reversal, or needs_attention. */
  async function toTheEnd(): Promise<WithdrawalProgress> {
    status = 'processing';
    await record('processing', {}, { status: 'processing' });
    url ??= dashboardUrl;
    const money = { accountId: accountId!, amount: input.amount, currency: input.currency, envId: input.envId, withdrawalId: withdrawalId! };
    let transferId: string;
    try {
      transferId = (await stripeMoney.createTransfer({ ...money, idempotencyKey: key('transfer') })).transferId;
    } catch (err) {
      const refused = refusalOrRethrow(err);
      return releaseFailed('funds_released', { code: PROVIDER_ERROR, message: refused.message }, { reason: 'transfer_refused' });
    }
    await record('transfer_created', { stripe_transfer_id: transferId }, { stripeTransferId: transferId });

    const reverseAndRelease = async (failure: { code: string; message: string }) => {
      let reversal: { reversalId: string };
      try {
        reversal = await stripeMoney.reverseTransfer({ transferId, idempotencyKey: key('reversal') });
      } catch (err) {
        // The money is in the connected account and Stripe will not give it back: neither
        // release (it would be counted twice) nor settle (it did not reach the bank).
        const refused = providerRefusal(err);
        if (!refused || !patched(WITHDRAW_PATCHES.reversalRefused)) throw err;
        return attention(
          'reversal_refused',
          { stripe_transfer_id: transferId, message: refused.message, payout_failure_code: failure.code },
          { code: 'reversal_refused', message: `the payout failed (${failure.code}) and Stripe refused the transfer reversal: ${refused.message}` },
        );
      }
      await record('transfer_reversed', { stripe_reversal_id: reversal.reversalId });
      return releaseFailed('funds_released', failure);
    };

    // 5. Payout from the connected account to the user's bank.
    let payoutId: string;
    try {
      payoutId = (await stripeMoney.createPayout({ ...money, idempotencyKey: key('payout') })).payoutId;
    } catch (err) {
      const refused = refusalOrRethrow(err);
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
        if (patched(WITHDRAW_PATCHES.payoutTimeout)) {
          return attention(
            'payout_timed_out',
            { stripe_payout_id: payoutId, waited_ms: waited },
            { code: 'payout_timeout', message: `no outcome for payout ${payoutId} within ${waits.payoutTimeoutMs} ms` },
          );
        }
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
      // Kept like a webhook's outcome: a payout.failed signal after a polled `paid` is then a late failure.
      if (outcome && !outcomes.has(payoutId)) outcomes.set(payoutId, outcome);
    }

    if (outcome.status === 'paid') {
      await record('payout_paid', { stripe_payout_id: payoutId });
      const paid = await finish({ outcome: 'settle', status: 'paid', step: 'paid_out' });
      // The bank returned the money to the connected account after all: settled, but not at the bank.
      const late = failedAfterPaid as Extract<PayoutOutcome, { status: 'failed' }> | null;
      if (late && patched(WITHDRAW_PATCHES.failedAfterPaid)) {
        return attention(
          'payout_failed_after_paid',
          { stripe_payout_id: payoutId, failure_code: late.failureCode },
          { code: late.failureCode ?? 'payout_failed', message: late.failureMessage ?? 'payout.failed came after payout.paid: the money is back in the connected account' },
        );
      }
      return paid;
    }
    await record('payout_failed', { stripe_payout_id: payoutId, failure_code: outcome.failureCode });
    return reverseAndRelease({ code: outcome.failureCode ?? 'payout_failed', message: outcome.failureMessage ?? 'the payout failed' });
  }
}
