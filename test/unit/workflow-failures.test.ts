/**
 * How an activity's failure becomes the workflow's decision (src/workflows/failures.ts):
 * `businessFailure` turns a business refusal (a code of BUSINESS_ERROR_CODES, as
 * src/activities/failures.ts sends it) into the workflow's own non-retryable failure with
 * the same code, message and details, and leaves everything else (Stripe, Postgres, timeouts,
 * cancellation, unknown types) to fail or retry the workflow; `providerRefusal` finds a
 * Stripe refusal (src/activities/stripe-failures.ts), which the withdraw workflow
 * compensates for, and nothing else. The whole trip is checked too: a DomainError thrown by
 * an activity → the failure Temporal hands the workflow → the workflow's failure → the
 * API's status and code (src/api/errors.ts).
 */
import { ActivityFailure, ApplicationFailure, CancelledFailure, RetryState, TimeoutFailure, TimeoutType } from '@temporalio/common';
import { WorkflowFailedError } from '@temporalio/client';
import Stripe from 'stripe';
import { DatabaseError } from 'pg';
import { toActivityFailure } from '../../src/activities/failures';
import { toStripeFailure } from '../../src/activities/stripe-failures';
import { HTTP_STATUS, toDomainError } from '../../src/api/errors';
import { BUSINESS_ERROR_CODES, DATABASE_ERROR, DomainError, ERROR_CODES } from '../../src/domain/errors';
import { businessFailure, PROVIDER_ERROR, providerRefusal } from '../../src/workflows/failures';

/** What Temporal hands the workflow when an activity fails: an ActivityFailure whose cause is the activity's failure. */
const fromActivity = (cause: Error, retryState: RetryState = RetryState.NON_RETRYABLE_FAILURE) =>
  new ActivityFailure('Activity task failed', 'chargeOrder', '1', retryState, 'worker@test', cause);

const failure = (type: string | undefined, opts: { details?: unknown[]; nonRetryable?: boolean } = {}) =>
  ApplicationFailure.create({ type, message: `refused: ${type}`, details: opts.details, nonRetryable: opts.nonRetryable ?? true });

const NOT_BUSINESS = ERROR_CODES.filter((c) => !BUSINESS_ERROR_CODES.includes(c));

describe('businessFailure', () => {
  test.each(BUSINESS_ERROR_CODES.map((c) => [c]))('%s from an activity → the workflow\'s non-retryable failure, same code, message and details', (code) => {
    const cause = failure(code, { details: [{ wallet_id: '7', field: 'splits.0.wallet_id' }] });
    const out = businessFailure(fromActivity(cause))!;
    expect(out).toBeInstanceOf(ApplicationFailure);
    expect(out).not.toBe(cause); // the workflow's own failure, not the activity's
    expect(out.type).toBe(code);
    expect(out.message).toBe(`refused: ${code}`);
    expect(out.details).toEqual([{ wallet_id: '7', field: 'splits.0.wallet_id' }]);
    expect(out.nonRetryable).toBe(true);
  });

  test('a business failure given as is (an update handler\'s own refusal, a child\'s) maps the same', () => {
    const out = businessFailure(failure('insufficient_funds', { details: [{ balance_minor: '5' }] }))!;
    expect([out.type, out.nonRetryable, out.details]).toEqual(['insufficient_funds', true, [{ balance_minor: '5' }]]);
  });

  test('a business code sent retryable is still final for the workflow', () => {
    const out = businessFailure(fromActivity(failure('limit_exceeded', { nonRetryable: false }), RetryState.MAXIMUM_ATTEMPTS_REACHED))!;
    expect(out.nonRetryable).toBe(true);
  });

  test('no details → an empty list (never undefined: the API reads details[0])', () => {
    expect(businessFailure(fromActivity(failure('not_found')))!.details).toEqual([]);
  });

  test.each(NOT_BUSINESS.map((c) => [c]))('%s is not a business refusal → null (the workflow fails or compensates)', (code) => {
    expect(businessFailure(fromActivity(failure(code)))).toBeNull();
  });

  test.each([
    ['database_error (SQLSTATE 22/23/42)', fromActivity(failure(DATABASE_ERROR))],
    ['stripe_unavailable (retried, then spent)', fromActivity(failure('stripe_unavailable', { nonRetryable: false }), RetryState.TIMEOUT)],
    ['an ApplicationFailure without a type', fromActivity(failure(undefined))],
    ['a type that only looks like a code', fromActivity(failure('Insufficient_Funds'))],
    ['an activity timeout', fromActivity(new TimeoutFailure('timed out', undefined, TimeoutType.SCHEDULE_TO_CLOSE), RetryState.TIMEOUT)],
    ['a cancellation', new CancelledFailure('canceled')],
    ['an activity canceled', fromActivity(new CancelledFailure('canceled'), RetryState.CANCEL_REQUESTED)],
    ['a DomainError not mapped by the activity wrapper', new DomainError('insufficient_funds', 'raw')],
    ['a plain Error', new Error('boom')],
    ['undefined', undefined],
    ['null', null],
    ['a string', 'insufficient_funds'],
  ])('%s → null', (_name, err) => {
    expect(businessFailure(err)).toBeNull();
  });
});

describe('providerRefusal', () => {
  test('a Stripe refusal inside an activity failure → that refusal (message kept for the withdrawal\'s timeline)', () => {
    const cause = failure(PROVIDER_ERROR, { details: [{ stripe_type: 'StripeInvalidRequestError' }] });
    expect(providerRefusal(fromActivity(cause))).toBe(cause);
    expect(providerRefusal(cause)).toBe(cause);
  });

  test.each([
    ['stripe_unavailable (retried until the budget ends)', fromActivity(failure('stripe_unavailable', { nonRetryable: false }), RetryState.TIMEOUT)],
    ['a business refusal', fromActivity(failure('insufficient_funds'))],
    ['a database error', fromActivity(failure(DATABASE_ERROR))],
    ['no type', fromActivity(failure(undefined))],
    ['a timeout', fromActivity(new TimeoutFailure('timed out', undefined, TimeoutType.START_TO_CLOSE), RetryState.TIMEOUT)],
    ['a cancellation', new CancelledFailure('canceled')],
    ['a plain Error named provider_error', Object.assign(new Error('provider_error'), { type: PROVIDER_ERROR })],
    ['undefined', undefined],
  ])('%s → null', (_name, err) => {
    expect(providerRefusal(err)).toBeNull();
  });

  test('a provider_error is not a business refusal, and no business refusal is a provider refusal', () => {
    expect(businessFailure(fromActivity(failure(PROVIDER_ERROR)))).toBeNull();
    for (const code of BUSINESS_ERROR_CODES) expect(providerRefusal(fromActivity(failure(code)))).toBeNull();
  });
});

describe('the whole trip: activity → workflow → API', () => {
  const stripeError = <E extends Stripe.errors.StripeError>(Kind: new (raw: Stripe.StripeRawError) => E) =>
    new Kind({ message: 'No such destination: acct_1', type: 'invalid_request_error', statusCode: 400 } as Stripe.StripeRawError);

  test('a DomainError thrown by an activity reaches the client with its code, status and details', () => {
    const thrown = new DomainError('wallet_not_active', 'seller wallet 9 is suspended (splits.1.wallet_id)', { wallet_id: '9', field: 'splits.1.wallet_id' });
    const inWorkflow = businessFailure(fromActivity(toActivityFailure(thrown) as ApplicationFailure))!;
    const atApi = toDomainError(new WorkflowFailedError('Workflow execution failed', inWorkflow, RetryState.NON_RETRYABLE_FAILURE));
    expect(atApi.code).toBe('wallet_not_active');
    expect(HTTP_STATUS[atApi.code]).toBe(422);
    expect(atApi.message).toBe(thrown.message);
    expect(atApi.details).toEqual(thrown.details);
  });

  test('a Postgres data error is no refusal: the workflow fails, the API answers 500 internal', () => {
    const pgError = Object.assign(new DatabaseError('invalid byte sequence for encoding "UTF8": 0x00', 0, 'error'), { code: '22021' });
    const sent = toActivityFailure(pgError) as ApplicationFailure;
    expect(sent.type).toBe(DATABASE_ERROR);
    expect(businessFailure(fromActivity(sent))).toBeNull();
    expect(toDomainError(new WorkflowFailedError('failed', fromActivity(sent), RetryState.NON_RETRYABLE_FAILURE)).code).toBe('internal');
  });

  test('Stripe: a refusal is a provider refusal; a 5xx or a lost connection is not (retried)', () => {
    const refused = toStripeFailure(stripeError(Stripe.errors.StripeInvalidRequestError)) as ApplicationFailure;
    expect(providerRefusal(fromActivity(refused))?.message).toBe('Stripe refused: No such destination: acct_1');
    for (const Kind of [Stripe.errors.StripeAPIError, Stripe.errors.StripeConnectionError, Stripe.errors.StripeRateLimitError]) {
      const retried = toStripeFailure(stripeError(Kind)) as ApplicationFailure;
      expect(retried.nonRetryable).toBe(false);
      expect(providerRefusal(fromActivity(retried, RetryState.TIMEOUT))).toBeNull();
      expect(businessFailure(fromActivity(retried, RetryState.TIMEOUT))).toBeNull();
    }
  });
});
