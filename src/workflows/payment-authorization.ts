/**
 * The payment workflow's authorize-now-capture-later path (`"capture": false`, issue 12
 * part 2), chosen by its input (`authorization`), which no payment started before it
 * carries: old histories never reach this code.
 *
 *   authorizePayment (local: order + hold, `authorized`, one commit)
 *     ── update `authorization` answers here: the HTTP request ends
 *   wait: update `capture` | update `void` | durable timer to expires_at
 *     capture → captureAuthorization (take all or part, release the rest): `completed`
 *     void    → voidAuthorization(requested): `voided`
 *     timer   → voidAuthorization(expired):   `voided`
 *     Temporal cancel → voidAuthorization(canceled), the workflow ends Canceled
 *
 * Exactly one outcome, decided twice over:
 * 1. here, one decision at a time: an update's validator accepts it only while the state
 *    is `authorized` and expires_at has not passed by workflow time; its handler sets the
 *    state to `deciding` synchronously, so a second capture or void, or the timer, waits
 *    or is refused (409) instead of running beside it;
 * 2. in Postgres, the order row is the state machine (src/activities/authorizations.ts):
 *    each transition locks it and runs only from `authorized` (a capture also only before
 *    expires_at by the database's clock), so even a decision this workflow lost track of
 *    (an answer lost, a reset) cannot post twice. A refused decision puts the state back
 *    to `authorized`, and the next one, or the expiry, asks the database again.
 */
import {
  ApplicationFailure,
  CancellationScope,
  TemporalFailure,
  allHandlersFinished,
  condition,
  isCancellation,
  setHandler,
} from '@temporalio/workflow';
import type { ErrorCode } from '../domain/errors';
import type { PaymentInput, PaymentResult } from '../domain/types';
import { businessFailure } from './failures';
import { ledger, ledgerRelease } from './options';
import { authorizationUpdate, captureUpdate, voidUpdate } from './payment-messages';

type State = 'authorizing' | 'authorized' | 'deciding' | 'done';

function refusal(type: ErrorCode, message: string, details: Record<string, unknown> = {}): ApplicationFailure {
  return ApplicationFailure.create({ type, message, details: [details], nonRetryable: true });
}

export async function authorizeThenWait(
  input: PaymentInput & { authorization: { ttlSeconds: number } },
  workflowId: string,
): Promise<PaymentResult> {
  let state: State = 'authorizing';
  /** The authorization's answer (what the `authorization` update returns, retries included). */
  let authorized: PaymentResult | null = null;
  /** The latest answer: the authorization, then its capture or void. */
  let current: PaymentResult | null = null;
  /** Why the hold was not placed (the `authorization` update fails with it). */
  let failed: unknown = null;
  let expiresAtMs = Number.POSITIVE_INFINITY;

  // Registered before the first await: the update-with-start's update finds its handler.
  setHandler(authorizationUpdate, async () => {
    await condition(() => authorized !== null || failed !== null);
    if (authorized === null) throw failed;
    return authorized;
  });
  const orderId = () => authorized!.order.id;
  /** The validators: one decision, while authorized and before expires_at (workflow time). */
  const decidable = (): void => {
    if (state === 'authorizing') throw refusal('conflict', 'the authorization is still being placed: retry in a moment');
    if (state === 'deciding') {
      throw refusal('order_not_authorized', `a capture or void of order ${orderId()} is in progress`, { order_id: orderId(), status: 'authorized' });
    }
    if (state === 'done') {
      const order = current!.order;
      throw refusal('order_not_authorized', `order ${order.id} is ${order.status}: it is no longer an authorization to capture or void`, {
        order_id: order.id,
        status: order.status,
      });
    }
    if (Date.now() >= expiresAtMs) {
      throw refusal('authorization_expired', `the authorization of order ${orderId()} expired at ${authorized!.order.expiresAt}: it voids itself`, {
        order_id: orderId(),
        expires_at: authorized!.order.expiresAt,
      });
    }
  };
  const decide = async (run: () => Promise<PaymentResult>): Promise<PaymentResult> => {
    state = 'deciding';
    try {
      current = await run();
      state = 'done';
      return current;
    } catch (err) {
      // Refused by the database, or failed for good: the order row says what happened, and
      // the next decision (or the expiry) asks it again.
      state = 'authorized';
      throw businessFailure(err) ?? err;
    }
  };
  setHandler(captureUpdate, ({ amount, decisionId }) => decide(() => ledger.captureAuthorization({ orderId: orderId(), workflowId, amount, decisionId })), {
    validator: (_req: { amount: string | null; decisionId: string | null }) => decidable(),
  });
  setHandler(voidUpdate, ({ decisionId }) => decide(() => ledger.voidAuthorization({ orderId: orderId(), workflowId, reason: 'requested', decisionId })), {
    validator: (_req: { decisionId: string | null }) => decidable(),
  });

  // 1. The hold. A refusal ends the workflow with its code, the order recorded failed.
  try {
    authorized = await ledger.authorizePayment({ ...input, workflowId, ttlSeconds: input.authorization.ttlSeconds });
  } catch (err) {
    const refused = businessFailure(err);
    if (!refused && (!(err instanceof TemporalFailure) || isCancellation(err))) throw err;
    const after = await recordFailedAuthorization(input, workflowId, refused ? refused.type! : 'internal');
    if (after !== 'committed') {
      failed = refused ?? err;
      await condition(allHandlersFinished);
      throw failed;
    }
    // The hold committed after all (its answer lost): the retry answers the order as it is.
    authorized = await ledger.authorizePayment({ ...input, workflowId, ttlSeconds: input.authorization.ttlSeconds });
  }
  current = authorized;
  expiresAtMs = Date.parse(authorized.order.expiresAt!);
  state = authorized.order.status === 'authorized' ? 'authorized' : 'done';

  // 2. Wait for a capture or a void until expires_at, then void it (expired).
  try {
    while (state !== 'done') {
      const remaining = expiresAtMs - Date.now();
      if (remaining > 0 && (await condition(() => state !== 'authorized', remaining))) {
        await condition(() => state !== 'deciding'); // done, or refused and authorized again
        continue;
      }
      if (state !== 'authorized') continue;
      await decide(() => ledgerRelease.voidAuthorization({ orderId: orderId(), workflowId, reason: 'expired', decisionId: null }));
    }
  } catch (err) {
    if (!isCancellation(err)) throw err;
    // An operator canceled the workflow (Web UI, `temporal workflow cancel`): the hold must
    // not outlive it. Let a decision in flight end, release what is still held, end Canceled.
    await CancellationScope.nonCancellable(async () => {
      await condition(() => state !== 'deciding');
      if (state === 'authorized') {
        await decide(() => ledgerRelease.voidAuthorization({ orderId: orderId(), workflowId, reason: 'canceled', decisionId: null }));
      }
      await condition(allHandlersFinished);
    });
    throw err;
  }
  // Let the update handlers answer before the workflow closes.
  await condition(allHandlersFinished);
  return current!;
}

/**
 * The hold was refused or failed for good: authorizePayment rolled its order back. Record
 * the order as failed (as a payment's), unless the hold had committed after all (its answer
 * lost: the order exists past pending) or Postgres refuses to hold the order at all.
 */
async function recordFailedAuthorization(input: PaymentInput, workflowId: string, failureCode: string): Promise<'failed' | 'committed'> {
  let orderId: string;
  try {
    orderId = (await ledger.createOrder({ ...input, workflowId })).id;
  } catch {
    return 'failed';
  }
  const after = await ledger.failOrder({ orderId, failureCode });
  return after.status === 'failed' ? 'failed' : 'committed';
}
