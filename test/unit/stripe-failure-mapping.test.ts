/**
 * How Stripe's answers become our outcomes, without the stack: a Stripe error thrown by a
 * Connect activity → a Temporal failure (refused: non-retryable provider_error; otherwise
 * retried), a domain refusal → a non-retryable failure typed by its code, a payout event →
 * the withdrawal's outcome, and a provider_error workflow failure → the API's 502.
 * (The workflow's `providerRefusal` and `businessFailure`: test/unit/workflow-failures.test.ts;
 * its polled-payout mapping lives inside src/workflows/withdraw.ts, covered by test/workflows.)
 */
import { ApplicationFailure, RetryState } from '@temporalio/common';
import { WorkflowFailedError } from '@temporalio/client';
import Stripe from 'stripe';
import { DatabaseError } from 'pg';
import { toStripeFailure, withStripeFailures } from '../../src/activities/stripe-failures';
import { toActivityFailure } from '../../src/activities/failures';
import { connectedAccountKey, createStripeActivities } from '../../src/activities/stripe';
import { payoutOutcomeOf } from '../../src/services/stripe-events';
import { HTTP_STATUS, toDomainError } from '../../src/api/errors';
import { BUSINESS_ERROR_CODES, DomainError, ERROR_CODES } from '../../src/domain/errors';
import type { Pool } from '../../src/db/pool';
import type { Stripe as StripeClient } from '../../src/stripe';

const SECRET = 'sk_test_do_not_leak_0123456789';
/** A Stripe error as the library builds it from a response: raw headers included. */
const stripeError = <E extends Stripe.errors.StripeError>(Kind: new (raw: Stripe.StripeRawError) => E, extra: Partial<Stripe.StripeRawError> = {}): E =>
  new Kind({ message: 'No such destination: acct_1', type: 'invalid_request_error', headers: { authorization: `Bearer ${SECRET}` }, statusCode: 400, ...extra } as Stripe.StripeRawError);

describe('toStripeFailure', () => {
  test.each([
    ['StripeInvalidRequestError', Stripe.errors.StripeInvalidRequestError],
    ['StripePermissionError', Stripe.errors.StripePermissionError],
    ['StripeAuthenticationError', Stripe.errors.StripeAuthenticationError],
    ['StripeIdempotencyError', Stripe.errors.StripeIdempotencyError],
    ['StripeCardError', Stripe.errors.StripeCardError],
  ])('%s is a refusal: non-retryable provider_error', (name, Kind) => {
    const failure = toStripeFailure(stripeError(Kind, { code: 'resource_missing' })) as ApplicationFailure;
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect(failure.type).toBe('provider_error');
    expect(failure.nonRetryable).toBe(true);
    expect(failure.message).toBe('Stripe refused: No such destination: acct_1');
    expect(failure.details).toEqual([{ stripe_type: name, stripe_code: 'resource_missing', status: 400 }]);
  });

  test.each([
    ['StripeAPIError', Stripe.errors.StripeAPIError, 500],
    ['StripeRateLimitError', Stripe.errors.StripeRateLimitError, 429],
    ['StripeConnectionError', Stripe.errors.StripeConnectionError, undefined],
  ])('%s is retried: stripe_unavailable, not provider_error', (name, Kind, statusCode) => {
    const failure = toStripeFailure(stripeError(Kind, { message: 'try later', statusCode })) as ApplicationFailure;
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect(failure.type).toBe('stripe_unavailable');
    expect(failure.nonRetryable).toBe(false);
    expect(failure.message).toBe('Stripe unavailable: try later');
    // no code, no status: null, never undefined (the details cross Temporal as JSON)
    expect(failure.details).toEqual([{ stripe_type: name, stripe_code: null, status: statusCode ?? null }]);
  });

  test("only the type, code and status leave: never the raw error's headers", () => {
    const failure = toStripeFailure(stripeError(Stripe.errors.StripePermissionError)) as ApplicationFailure;
    expect(JSON.stringify({ message: failure.message, details: failure.details })).not.toContain(SECRET);
    expect(failure.cause).toBeUndefined();
  });

  test('anything that is not a Stripe error passes through as it is', () => {
    const err = new Error('socket hang up');
    expect(toStripeFailure(err)).toBe(err);
    const domain = new DomainError('not_found', 'gone');
    expect(toStripeFailure(domain)).toBe(domain);
  });
});

describe('withStripeFailures', () => {
  test('maps what each activity throws and leaves results alone', async () => {
    const wrapped = withStripeFailures({
      ok: async (x: number) => x + 1,
      refused: async () => {
        throw stripeError(Stripe.errors.StripeCardError, { code: 'card_declined' });
      },
      broken: async () => {
        throw new TypeError('bug');
      },
    });
    await expect(wrapped.ok(1)).resolves.toBe(2);
    await expect(wrapped.refused()).rejects.toMatchObject({ type: 'provider_error', nonRetryable: true });
    await expect(wrapped.broken()).rejects.toBeInstanceOf(TypeError);
  });
});

describe('the Connect activities (src/activities/stripe.ts) against a fake Stripe client', () => {
  const calls: { method: string; args: unknown[] }[] = [];
  const record = (method: string, answer: (...args: unknown[]) => unknown) => async (...args: unknown[]) => {
    calls.push({ method, args });
    return answer(...args);
  };
  const fake = {
    transfers: {
      create: record('transfers.create', () => ({ id: 'tr_1' })),
      createReversal: record('transfers.createReversal', () => {
        throw stripeError(Stripe.errors.StripeInvalidRequestError, { code: 'transfer_already_reversed' });
      }),
    },
    payouts: {
      create: record('payouts.create', () => ({ id: 'po_1' })),
      retrieve: record('payouts.retrieve', () => ({ id: 'po_1', status: 'failed', failure_code: null, failure_message: null })),
    },
    accounts: {
      createLoginLink: record('accounts.createLoginLink', () => {
        throw stripeError(Stripe.errors.StripeAPIError, { message: 'upstream 500', statusCode: 500 });
      }),
    },
  };
  const activities = createStripeActivities({ pool: {} as Pool, stripe: fake as unknown as StripeClient, publicUrl: 'http://x' });
  beforeEach(() => {
    calls.length = 0;
  });

  test('a transfer sends the amount as a number of minor units, the currency in lower case and the step key', async () => {
    const input = { idempotencyKey: 'wf-1:transfer', accountId: 'acct_1', amount: '1234', currency: 'USD' as const, envId: '5', withdrawalId: '9' };
    await expect(activities.createTransfer(input)).resolves.toEqual({ transferId: 'tr_1' });
    expect(calls).toEqual([
      {
        method: 'transfers.create',
        args: [
          { amount: 1234, currency: 'usd', destination: 'acct_1', transfer_group: 'withdrawal_9', metadata: { env_id: '5', withdrawal_id: '9' } },
          { idempotencyKey: 'wf-1:transfer' },
        ],
      },
    ]);
  });

  test('a payout is created on the connected account, with the metadata its webhooks are routed by', async () => {
    await activities.createPayout({ idempotencyKey: 'wf-1:payout', accountId: 'acct_1', amount: '500', currency: 'EUR', envId: '5', withdrawalId: '9' });
    expect(calls[0]!.args).toEqual([
      { amount: 500, currency: 'eur', metadata: { env_id: '5', withdrawal_id: '9' } },
      { idempotencyKey: 'wf-1:payout', stripeAccount: 'acct_1' },
    ]);
  });

  test('a refused reversal fails non-retryable provider_error; a Stripe 500 is retried', async () => {
    await expect(activities.reverseTransfer({ transferId: 'tr_1', idempotencyKey: 'wf-1:reversal' })).rejects.toMatchObject({
      type: 'provider_error',
      nonRetryable: true,
      details: [{ stripe_type: 'StripeInvalidRequestError', stripe_code: 'transfer_already_reversed', status: 400 }],
    });
    await expect(activities.createDashboardLink({ accountId: 'acct_1', idempotencyKey: 'k' })).rejects.toMatchObject({
      type: 'stripe_unavailable',
      nonRetryable: false,
    });
  });

  test('a polled payout without failure code or message reports null for both', async () => {
    await expect(activities.retrievePayout({ accountId: 'acct_1', payoutId: 'po_1' })).resolves.toEqual({ status: 'failed', failureCode: null, failureMessage: null });
  });

  test("the connected account's idempotency key names the user, not a workflow", () => {
    expect(connectedAccountKey('5', 'alice')).toBe('connected-account:5:alice');
    expect(connectedAccountKey('5', 'alice')).not.toBe(connectedAccountKey('6', 'alice'));
  });
});

describe('payoutOutcomeOf (a payout.* event → the withdrawal workflow’s outcome)', () => {
  test('payout.paid is paid, whatever failure fields the object carries', () => {
    expect(payoutOutcomeOf('payout.paid', { id: 'po_1', status: 'paid', failure_code: 'ignored', failure_message: 'ignored' })).toEqual({ payoutId: 'po_1', status: 'paid' });
  });

  test("payout.failed keeps Stripe's failure code and message", () => {
    expect(payoutOutcomeOf('payout.failed', { id: 'po_2', status: 'failed', failure_code: 'account_closed', failure_message: 'The bank account has been closed' })).toEqual({
      payoutId: 'po_2',
      status: 'failed',
      failureCode: 'account_closed',
      failureMessage: 'The bank account has been closed',
    });
  });

  test('without a failure code the payout status names it; without a message it is null', () => {
    expect(payoutOutcomeOf('payout.canceled', { id: 'po_3', status: 'canceled', failure_code: null, failure_message: null })).toEqual({
      payoutId: 'po_3',
      status: 'failed',
      failureCode: 'payout_canceled',
      failureMessage: null,
    });
    expect(payoutOutcomeOf('payout.failed', { id: 'po_4', status: 'failed', failure_code: null, failure_message: null })).toMatchObject({ failureCode: 'payout_failed' });
  });
});

describe('toActivityFailure (a refusal inside an activity → the failure the workflow sees)', () => {
  test.each(BUSINESS_ERROR_CODES)('%s: non-retryable, typed by its code, with its message and details', (code) => {
    const failure = toActivityFailure(new DomainError(code, `refused: ${code}`, { wallet_id: '1' })) as ApplicationFailure;
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect(failure).toMatchObject({ type: code, message: `refused: ${code}`, nonRetryable: true, details: [{ wallet_id: '1' }] });
  });

  test.each(ERROR_CODES.filter((code) => !BUSINESS_ERROR_CODES.includes(code)))('%s is no business refusal: passes through, so it is retried', (code) => {
    const err = new DomainError(code, 'x');
    expect(toActivityFailure(err)).toBe(err);
  });

  test('a SQLSTATE is only read from a pg DatabaseError: an object with the same code is retried', () => {
    const pg = Object.assign(new DatabaseError('duplicate key', 0, 'error'), { code: '23505' });
    expect(toActivityFailure(pg)).toMatchObject({ type: 'database_error', nonRetryable: true, details: [{ sqlstate: '23505' }] });
    const lookalike = Object.assign(new Error('duplicate key'), { code: '23505' });
    expect(toActivityFailure(lookalike)).toBe(lookalike);
  });
});

describe('a Stripe refusal at the API', () => {
  test('a workflow failed with provider_error answers 502 provider_error with its message and details', () => {
    const cause = ApplicationFailure.create({ type: 'provider_error', message: 'Stripe refused: No such destination', details: [{ stripe_type: 'StripeInvalidRequestError' }], nonRetryable: true });
    const domain = toDomainError(new WorkflowFailedError('workflow failed', cause, RetryState.NON_RETRYABLE_FAILURE));
    expect(domain).toMatchObject({ code: 'provider_error', message: 'Stripe refused: No such destination', details: { stripe_type: 'StripeInvalidRequestError' } });
    expect(HTTP_STATUS[domain.code]).toBe(502);
  });

  test('a failure type that is no error code (stripe_unavailable after the retries ran out) is 500 internal', () => {
    const cause = ApplicationFailure.create({ type: 'stripe_unavailable', message: 'Stripe unavailable: try later' });
    const domain = toDomainError(new WorkflowFailedError('workflow failed', cause, RetryState.MAXIMUM_ATTEMPTS_REACHED));
    expect(domain.code).toBe('internal');
    expect(HTTP_STATUS[domain.code]).toBe(500);
  });
});
