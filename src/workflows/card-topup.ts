/**
 * Card top-up through Stripe (issue 12, part 1; README, Card top-ups).
 *
 * row → PaymentIntent (idempotency key `<workflow id>:payment-intent`) → the update of
 * the update-with-start answers {topup, wallet} → wait for the webhook's signal, at most
 * ttlMs:
 *   succeeded → credit (wallet +x, stripe_clearing −x; `completed`, `topup.completed`)
 *               → wait until Stripe's balance transaction is available
 *               → stripe_clearing +x, stripe_balance −x
 *   failed    → `failed` (`topup.failed`) and cancel the PaymentIntent (the customer could retry it)
 *   canceled  → `failed` (`topup.failed`)
 *   nothing   → expireCardTopup: under the row lock, an outcome the webhook recorded meanwhile
 *               wins; else `expired` (`topup.failed`) and the PaymentIntent is canceled at Stripe.
 * A success that comes after the top-up ended is the webhook's to flag (needs_attention);
 * the workflow never credits twice (the posting's idempotency id and the row's status).
 */
import {
  ActivityFailure,
  ApplicationFailure,
  allHandlersFinished,
  condition,
  setCurrentDetails,
  setHandler,
  sleep,
  workflowInfo,
} from '@temporalio/workflow';
import { CARD_TOPUP_DEFAULTS, type CardTopupInput, type CardTopupStarted, type PaymentIntentOutcome } from '../domain/card-topups';
import { businessFailure } from './failures';
import { ledger, stripeMoney, stripeSetup } from './options';
import { cardTopupStartedUpdate, paymentIntentOutcomeSignal } from './card-topup-messages';

const PROVIDER_ERROR = 'provider_error';

export async function cardTopup(input: CardTopupInput): Promise<CardTopupStarted> {
  const ttlMs = input.ttlMs ?? CARD_TOPUP_DEFAULTS.ttlMs;
  const clearingPollMs = input.clearingPollMs ?? CARD_TOPUP_DEFAULTS.clearingPollMs;
  const clearingTimeoutMs = input.clearingTimeoutMs ?? CARD_TOPUP_DEFAULTS.clearingTimeoutMs;
  const workflowId = workflowInfo().workflowId;
  const key = (step: string) => `${workflowId}:${step}`;

  let started: CardTopupStarted | null = null;
  let refusal: ApplicationFailure | null = null;
  let outcome: PaymentIntentOutcome | null = null;

  setHandler(cardTopupStartedUpdate, async () => {
    await condition(() => started !== null || refusal !== null);
    if (!started) throw refusal!;
    return started;
  });
  setHandler(paymentIntentOutcomeSignal, (o) => {
    outcome ??= o;
  });
  const refuse = async (failure: ApplicationFailure): Promise<never> => {
    refusal = failure;
    await condition(allHandlersFinished);
    throw failure;
  };

  // 1. The row. A refusal (wallet missing or not active) ends here: nothing exists at Stripe.
  let created: CardTopupStarted;
  try {
    created = await ledger.createCardTopup({ ...input, workflowId });
  } catch (err) {
    const refused = businessFailure(err);
    if (!refused) throw err;
    return refuse(refused);
  }
  const topupId = created.topup.id;

  // 2. The PaymentIntent. Refused by Stripe (or not answered within the setup budget): failed.
  let intent: { paymentIntentId: string; clientSecret: string };
  try {
    intent = await stripeSetup.createPaymentIntent({ ...input, topupId, idempotencyKey: key('payment-intent') });
  } catch (err) {
    if (!(err instanceof ActivityFailure)) throw err;
    const refused = businessFailure(err);
    const cause = err.cause instanceof ApplicationFailure ? err.cause : null;
    const failure =
      refused ??
      ApplicationFailure.create({
        type: PROVIDER_ERROR,
        message: cause?.type === PROVIDER_ERROR ? cause.message : 'Stripe did not answer in time',
        nonRetryable: true,
      });
    await ledger.failCardTopup({ topupId, step: 'failed', detail: { reason: 'payment_intent_refused' }, failureCode: failure.type, failureMessage: failure.message });
    return refuse(failure);
  }
  const topup = await ledger.openCardTopup({ topupId, ...intent, ttlMs });
  started = { topup, wallet: created.wallet };

  // 3. Wait for the webhook's outcome, at most ttlMs.
  setCurrentDetails(`waiting for signal paymentIntentOutcome (payment_intent.* webhook) for ${intent.paymentIntentId}`);
  let decided: { status: PaymentIntentOutcome['status']; eventId: string | null; failureCode: string | null; failureMessage: string | null } | null = null;
  if (await condition(() => outcome !== null, ttlMs)) {
    const o = outcome!;
    decided = { status: o.status, eventId: o.eventId, failureCode: o.failureCode ?? null, failureMessage: o.failureMessage ?? null };
  } else {
    const expiry = await ledger.expireCardTopup({ topupId, ttlMs });
    if (expiry.expired || expiry.outcome === null) {
      await stripeMoney.cancelPaymentIntent({ topupId, paymentIntentId: intent.paymentIntentId, idempotencyKey: key('cancel'), reason: 'expired' });
      return finish();
    }
    // The webhook recorded an outcome while the timer fired: it stands.
    const o = outcome as PaymentIntentOutcome | null;
    decided = { status: expiry.outcome, eventId: o?.eventId ?? null, failureCode: expiry.failureCode, failureMessage: o?.failureMessage ?? null };
  }

  if (decided.status !== 'succeeded') {
    await ledger.failCardTopup({
      topupId,
      step: 'failed',
      detail: { payment_intent_status: decided.status, stripe_event_id: decided.eventId },
      failureCode: decided.failureCode ?? `payment_intent_${decided.status}`,
      failureMessage: decided.failureMessage,
    });
    // After payment_failed the PaymentIntent could still be paid with another card: close it.
    if (decided.status === 'failed') {
      await stripeMoney.cancelPaymentIntent({ topupId, paymentIntentId: intent.paymentIntentId, idempotencyKey: key('cancel'), reason: 'payment_failed' });
    }
    return finish();
  }

  // 4. Credit from the clearing account.
  const credit = await ledger.creditCardTopup({ topupId, idempotencyId: key('credit'), eventId: decided.eventId });
  if (!credit.credited) return finish();

  // 5. Clearing → available: the money moves on once Stripe's balance transaction says so.
  let waited = 0;
  for (;;) {
    setCurrentDetails('waiting for Stripe to make the money available (balance transaction)');
    const funds = await stripeMoney.retrieveCardFunds({ paymentIntentId: intent.paymentIntentId });
    if (funds.status === 'available') {
      await ledger.clearCardTopup({
        topupId,
        idempotencyId: key('clearing'),
        balanceTransactionId: funds.balanceTransactionId!,
        fee: funds.fee,
        feeCurrency: funds.feeCurrency,
      });
      return finish();
    }
    if (waited >= clearingTimeoutMs) {
      // The money stays in stripe_clearing, visible to reconciliation and the operator.
      await ledger.recordCardTopupStep({ topupId, step: 'clearing_timed_out', detail: { waited_ms: waited, stripe_balance_transaction_id: funds.balanceTransactionId } });
      return finish();
    }
    // Until Stripe's available_on (and a minute), then every clearingPollMs.
    const wait = Math.min(funds.waitMs > 0 ? funds.waitMs + 60_000 : clearingPollMs, clearingTimeoutMs - waited);
    await sleep(wait);
    waited += wait;
  }

  async function finish(): Promise<CardTopupStarted> {
    await condition(allHandlersFinished);
    return started!;
  }
}
