/**
 * The API's side of the cardTopup workflow: start it with an update-with-start (the
 * answer is the PaymentIntent, not the payment) and the signal the Stripe webhook sends.
 */
import type { CardTopupInput, CardTopupStarted, PaymentIntentOutcome } from '../domain/card-topups';
import type { Pool } from '../db/pool';
import { findCardTopupByWorkflow } from '../db/queries/card-topups';
import { getWallets } from '../db/queries/wallets';
import { cardTopupStartedUpdate, paymentIntentOutcomeSignal } from '../workflows/card-topup-messages';
import type { Idempotency } from './idempotency';
import { signalIfRunning, startWithEarlyAnswer, type TemporalDeps } from './temporal';

const STILL_STARTING = 'the card top-up is still starting; retry with the same Idempotency-Key to get its PaymentIntent';

/** Starts (or attaches to) the card top-up's workflow and returns once its PaymentIntent exists. */
export async function startCardTopupWorkflow(deps: TemporalDeps, pool: Pool, req: Idempotency & { input: CardTopupInput }): Promise<{ started: CardTopupStarted; workflowId: string }> {
  const { answer, workflowId } = await startWithEarlyAnswer(deps, 'cardTopup', req, cardTopupStartedUpdate, STILL_STARTING, async (id) => {
    const done = await findCardTopupByWorkflow(pool, id);
    // Refused before a PaymentIntent existed: nothing to answer but the workflow's failure.
    if (!done || done.paymentIntentId === null) return null;
    const [wallet] = await getWallets(pool, done.envId, [done.walletId]);
    return { topup: done, wallet: wallet! };
  });
  return { started: answer, workflowId };
}

/** True when a running workflow received it; false when it had finished. */
export function signalPaymentIntentOutcome(deps: TemporalDeps, workflowId: string, outcome: PaymentIntentOutcome): Promise<boolean> {
  return signalIfRunning(() => deps.client.workflow.getHandle(workflowId).signal(paymentIntentOutcomeSignal, outcome));
}
