/**
 * The API's side of the withdraw workflow: start it with an update-with-start (the
 * answer is the URL, not the payout), cancel and refresh through updates, and the
 * signals the Stripe webhook and return URL send. A signal to a workflow that has
 * already finished is dropped: nothing waits for it any more.
 */
import type { PayoutOutcome, Withdrawal, WithdrawInput, WithdrawalProgress } from '../domain/withdrawals';
import type { Pool } from '../db/pool';
import { findWithdrawalByWorkflow } from '../db/queries/withdrawals';
import {
  accountReadySignal,
  cancelUpdate,
  payoutOutcomeSignal,
  refreshLinkUpdate,
  withdrawalUrlUpdate,
} from '../workflows/withdraw-messages';
import type { Idempotency } from './idempotency';
import { signalIfRunning, startWithEarlyAnswer, withinSyncTimeout, type TemporalDeps } from './temporal';

/** Past syncTimeoutMs: 503 with the workflow id (retry with the same key). */
const STILL_STARTING = 'the withdrawal is still starting; retry with the same Idempotency-Key to get its URL';

export interface StartWithdrawal extends Idempotency {
  input: WithdrawInput;
}

/** Starts (or attaches to) the withdraw workflow and returns once its URL exists. */
export async function startWithdrawal(deps: TemporalDeps, pool: Pool, req: StartWithdrawal): Promise<{ progress: WithdrawalProgress; workflowId: string }> {
  const { answer, workflowId } = await startWithEarlyAnswer(deps, 'withdraw', req, withdrawalUrlUpdate, STILL_STARTING, async (id) => {
    // None: the hold was refused, and the workflow's failure carries the code.
    const done = await findWithdrawalByWorkflow(pool, id);
    return done && { withdrawalId: done.id, status: done.status, url: null, fee: done.fee };
  });
  return { progress: answer, workflowId };
}

export async function cancelWithdrawal(deps: TemporalDeps, w: Withdrawal): Promise<WithdrawalProgress> {
  const handle = deps.client.workflow.getHandle(w.workflowId);
  return withinSyncTimeout(deps, w.workflowId, STILL_STARTING, () => handle.executeUpdate(cancelUpdate));
}

export async function refreshOnboardingLink(deps: TemporalDeps, w: Withdrawal): Promise<WithdrawalProgress> {
  const handle = deps.client.workflow.getHandle(w.workflowId);
  return withinSyncTimeout(deps, w.workflowId, STILL_STARTING, () => handle.executeUpdate(refreshLinkUpdate));
}

export function signalAccountReady(deps: TemporalDeps, workflowId: string, source: string): Promise<boolean> {
  return signalIfRunning(() => deps.client.workflow.getHandle(workflowId).signal(accountReadySignal, { source }));
}

export function signalPayoutOutcome(deps: TemporalDeps, workflowId: string, outcome: PayoutOutcome): Promise<boolean> {
  return signalIfRunning(() => deps.client.workflow.getHandle(workflowId).signal(payoutOutcomeSignal, outcome));
}
