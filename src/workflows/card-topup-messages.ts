/**
 * The cardTopup workflow's messages, shared by the workflow, the API and the Stripe
 * webhook (definitions only: safe to import outside the workflow sandbox).
 */
import { defineSignal, defineUpdate } from '@temporalio/workflow';
import type { CardTopupStarted, PaymentIntentOutcome } from '../domain/card-topups';

/** Update-with-start: answers once the PaymentIntent exists (the HTTP request never waits for the payment). */
export const cardTopupStartedUpdate = defineUpdate<CardTopupStarted>('cardTopupStarted');

/** payment_intent.succeeded / .payment_failed / .canceled (webhook); the first one wins. */
export const paymentIntentOutcomeSignal = defineSignal<[PaymentIntentOutcome]>('paymentIntentOutcome');
