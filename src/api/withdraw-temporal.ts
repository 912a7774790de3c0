/**
 * The API's side of the withdraw workflow: start it with an update-with-start (the
 * answer is the URL, not the payout), cancel and refresh through updates, and the
 * signals the Stripe webhook and return URL send. A signal to a workflow that has
 * already finished is dropped: nothing waits for it any more.
 */
import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError } from '@temporalio/client';
import type { PayoutOutcome, Withdrawal, WithdrawInput, WithdrawalProgress } from '../domain/withdrawals';
import type { Pool } from '../db/pool';
import { findWithdrawalByWorkflow } from '../db/queries/withdrawals';
import { executeUpdateWithStart, workflowIdFor } from '../temporal/start-workflow';
import {
  accountReadySignal,
  cancelUpdate,
  payoutOutcomeSignal,
  refreshLinkUpdate,
  withdrawalUrlUpdate,
} from '../workflows/withdraw-messages';
import type { Idempotency } from './idempotency';
import { failedForGood, withinSyncTimeout, type TemporalDeps } from './temporal';

/** Races a call against syncTimeoutMs; past it, 503 with the workflow id (retry with the same key). */
const STILL_STARTING = 'the withdrawal is still starting; retry with the same Idempotency-Key to get its URL';

export interface StartWithdrawal extends Idempotency {
  input: WithdrawInput;
}

/** Starts (or attaches to) the withdraw workflow and returns once its URL exists. */
export async function startWithdrawal(
  deps: TemporalDeps,
  pool: Pool,
  req: StartWithdrawal,
): Promise<{ progress: WithdrawalProgress; workflowId: string }> {
  const workflowId = workflowIdFor('withdraw', req.input.envId, req.idempotencyKey, req.requestHash);
  const { envId, walletId, userId } = req.input;
  try {
    const progress = await withinSyncTimeout(deps, workflowId, STILL_STARTING, () =>
      executeUpdateWithStart(deps, 'withdraw', { workflowId, args: [req.input], subject: { envId, walletId, userId } }, withdrawalUrlUpdate, { args: [] }),
    );
    return { progress, workflowId };
  } catch (err) {
    // Same Idempotency-Key as a withdrawal that has finished: answer what it became.
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw failedForGood(err, workflowId);
    const done = await findWithdrawalByWorkflow(pool, workflowId);
    if (!done) {
      // The hold was refused: the workflow's failure carries the code (or, failed for good, 500 with its id).
      await deps.client.workflow.getHandle(workflowId).result().catch((e: unknown) => Promise.reject(failedForGood(e, workflowId)));
      throw err;
    }
    return { progress: { withdrawalId: done.id, status: done.status, url: null, fee: done.fee }, workflowId };
  }
}

export async function cancelWithdrawal(deps: TemporalDeps, w: Withdrawal): Promise<WithdrawalProgress> {
  const handle = deps.client.workflow.getHandle(w.workflowId);
  return withinSyncTimeout(deps, w.workflowId, STILL_STARTING, () => handle.executeUpdate(cancelUpdate));
}

export async function refreshOnboardingLink(deps: TemporalDeps, w: Withdrawal): Promise<WithdrawalProgress> {
  const handle = deps.client.workflow.getHandle(w.workflowId);
  return withinSyncTimeout(deps, w.workflowId, STILL_STARTING, () => handle.executeUpdate(refreshLinkUpdate));
}

/** True when a running workflow received it; false when it had finished (nothing waits). */
async function signalIfRunning(run: () => Promise<void>): Promise<boolean> {
  try {
    await run();
    return true;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return false;
    throw err;
  }
}

export function signalAccountReady(deps: TemporalDeps, workflowId: string, source: string): Promise<boolean> {
  return signalIfRunning(() => deps.client.workflow.getHandle(workflowId).signal(accountReadySignal, { source }));
}

export function signalPayoutOutcome(deps: TemporalDeps, workflowId: string, outcome: PayoutOutcome): Promise<boolean> {
  return signalIfRunning(() => deps.client.workflow.getHandle(workflowId).signal(payoutOutcomeSignal, outcome));
}
