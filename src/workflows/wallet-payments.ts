/**
 * Coalesced payments (issue 11 lever, PAYMENT_COALESCE=true; off by default): one
 * long-lived workflow per wallet (`wallet-payments-<env>-<wallet>`) takes each payment
 * as an Update (update-with-start from the API; the update id is the payment's id, the
 * one a payment workflow would have had). Every payment pending when the workflow runs
 * — those that arrived in the same activation, or while the previous batch was being
 * posted — is posted by ONE local activity in ONE SQL transaction (payOrders), decided
 * in order: a refusal fails that payment's update alone. Each update answers its own
 * result or refusal.
 *
 * Bounds: at most MAX_BATCH payments per transaction; after `maxPayments` payments or
 * when Temporal suggests it (history size), the workflow drains what is pending and
 * continues as new. Idle for IDLE_TIMEOUT, it ends (the next payment starts it again).
 */
import {
  allHandlersFinished,
  ApplicationFailure,
  condition,
  continueAsNew,
  currentUpdateInfo,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import { ledgerStepId } from '../domain/postings';
import type { BatchPaymentOutcome } from '../activities/topup-payment';
import type { PaymentInput, PaymentResult } from '../domain/types';
import { database } from './options';
import { payUpdate } from './wallet-payments-messages';

export interface WalletPaymentsInput {
  /** Payments after which the workflow continues as new (default 500). */
  maxPayments?: number;
}

export const MAX_BATCH = 100;
const IDLE_TIMEOUT = '1 minute';

interface Pending {
  paymentId: string;
  input: PaymentInput;
  resolve: (r: PaymentResult) => void;
  reject: (e: unknown) => void;
}

export async function walletPayments(input: WalletPaymentsInput = {}): Promise<void> {
  const maxPayments = input.maxPayments ?? 500;
  const pending: Pending[] = [];
  let taken = 0;

  setHandler(payUpdate, (payment) => {
    const paymentId = currentUpdateInfo()!.id;
    taken++;
    return new Promise<PaymentResult>((resolve, reject) => pending.push({ paymentId, input: payment, resolve, reject }));
  });

  const postPending = async () => {
    while (pending.length > 0) {
      const batch = pending.splice(0, MAX_BATCH);
      let outcomes: BatchPaymentOutcome[];
      try {
        outcomes = await database.payOrders({
          payments: batch.map((p) => ({
            workflowId: p.paymentId,
            envId: p.input.envId,
            walletId: p.input.walletId,
            userId: p.input.userId,
            productId: p.input.productId,
            amount: p.input.amount,
            currency: p.input.currency,
            idempotencyId: ledgerStepId(p.paymentId, 'charge'),
          })),
        });
      } catch (err) {
        // The batch failed for good (a retry budget spent): nothing of it committed.
        for (const p of batch) p.reject(err);
        continue;
      }
      batch.forEach((p, i) => {
        const o = outcomes[i]!;
        if (o.ok) p.resolve(o.result);
        else p.reject(ApplicationFailure.create({ type: o.type, message: o.message, details: [o.details], nonRetryable: true }));
      });
    }
  };

  for (;;) {
    const got = await condition(() => pending.length > 0, IDLE_TIMEOUT);
    if (got) await postPending();
    const rollOver = taken >= maxPayments || workflowInfo().continueAsNewSuggested;
    if (!got || rollOver) {
      // Drain: payments that arrived meanwhile are posted and answered before this run ends.
      while (!(pending.length === 0 && allHandlersFinished())) {
        await condition(() => pending.length > 0 || allHandlersFinished());
        await postPending();
      }
      if (rollOver) await continueAsNew<typeof walletPayments>(input);
      return;
    }
  }
}
