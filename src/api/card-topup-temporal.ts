/**
 * The API's side of the cardTopup workflow: start it with an update-with-start (the
 * answer is the PaymentIntent, not the payment) and the signal the Stripe webhook sends.
 */
import { WithStartWorkflowOperation, WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError } from '@temporalio/client';
import { TypedSearchAttributes } from '@temporalio/common';
import type { CardTopupInput, CardTopupStarted, PaymentIntentOutcome } from '../domain/card-topups';
import type { Pool } from '../db/pool';
import { findCardTopupByWorkflow } from '../db/queries/card-topups';
import { getWallets } from '../db/queries/wallets';
import { workflowStarts } from '../observability/metrics';
import { cardTopupStartedUpdate, paymentIntentOutcomeSignal } from '../workflows/card-topup-messages';
import type { Idempotency } from './idempotency';
import { failedForGood, KEYS, withinSyncTimeout, workflowIdFor, type TemporalDeps } from './temporal';

const STILL_STARTING = 'the card top-up is still starting; retry with the same Idempotency-Key to get its PaymentIntent';

/**
 * Starts (or attaches to) the card top-up's workflow and returns once its PaymentIntent
 * exists. Same ids and policies as runMovement: one workflow per Idempotency-Key and
 * body, a running one attached to, a finished one never started again.
 */
export async function startCardTopupWorkflow(
  deps: TemporalDeps,
  pool: Pool,
  req: Idempotency & { input: CardTopupInput },
): Promise<{ started: CardTopupStarted; workflowId: string }> {
  const { envId, walletId, userId } = req.input;
  const workflowId = workflowIdFor('card-topup', envId, req.idempotencyKey, req.requestHash);
  const operation = new WithStartWorkflowOperation('cardTopup', {
    taskQueue: deps.taskQueue,
    workflowId,
    args: [req.input] as [CardTopupInput],
    workflowIdConflictPolicy: 'USE_EXISTING',
    workflowIdReusePolicy: 'REJECT_DUPLICATE',
    memo: { envId, walletId, userId, kind: 'card-topup' },
    ...(deps.searchAttributes
      ? {
          typedSearchAttributes: new TypedSearchAttributes([
            { key: KEYS.envId, value: envId },
            { key: KEYS.walletId, value: walletId },
            { key: KEYS.userId, value: userId },
            { key: KEYS.kind, value: 'card-topup' },
          ]),
        }
      : {}),
  });
  try {
    workflowStarts.inc({ type: 'cardTopup' });
    const started = await withinSyncTimeout(deps, workflowId, STILL_STARTING, () =>
      deps.client.workflow.executeUpdateWithStart(cardTopupStartedUpdate, { startWorkflowOperation: operation }),
    );
    return { started, workflowId };
  } catch (err) {
    // The same Idempotency-Key as a card top-up whose workflow has ended: answer what it became.
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw failedForGood(err, workflowId);
    const done = await findCardTopupByWorkflow(pool, workflowId);
    if (!done || done.paymentIntentId === null) {
      // Refused before a PaymentIntent existed: the workflow's failure carries the code.
      await deps.client.workflow.getHandle(workflowId).result().catch((e: unknown) => Promise.reject(failedForGood(e, workflowId)));
      throw err;
    }
    const [wallet] = await getWallets(pool, done.envId, [done.walletId]);
    return { started: { topup: done, wallet: wallet! }, workflowId };
  }
}

/** True when a running workflow received it; false when it had finished. */
export async function signalPaymentIntentOutcome(deps: TemporalDeps, workflowId: string, outcome: PaymentIntentOutcome): Promise<boolean> {
  try {
    await deps.client.workflow.getHandle(workflowId).signal(paymentIntentOutcomeSignal, outcome);
    return true;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return false;
    throw err;
  }
}
