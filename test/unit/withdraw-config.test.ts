/** Withdrawal configuration and Stripe error mapping: no stack needed. */
import { ApplicationFailure } from '@temporalio/common';
import Stripe from 'stripe';
import { DEV_STRIPE_WEBHOOK_SECRET, loadConfig } from '../../src/config';
import { toStripeFailure } from '../../src/activities/stripe-failures';
import { createStripe } from '../../src/stripe';

const base = { DATABASE_URL: 'postgres://x@127.0.0.1/db' };
/** Production also needs SECRETS_PEPPER (issue 10): given here so these checks test the webhook secret only. */
const prod = { NODE_ENV: 'production', SECRETS_PEPPER: 'p'.repeat(32) };

test('the webhook secret defaults to the dev one outside production only', () => {
  expect(loadConfig({ ...base }).STRIPE_WEBHOOK_SECRET).toBe(DEV_STRIPE_WEBHOOK_SECRET);
  expect(loadConfig({ ...base, ...prod }).STRIPE_WEBHOOK_SECRET).toBeUndefined();
  expect(() => loadConfig({ ...base, ...prod, STRIPE_SECRET_KEY: 'sk_live_x' })).toThrow(/STRIPE_WEBHOOK_SECRET/);
  expect(loadConfig({ ...base, ...prod, STRIPE_SECRET_KEY: 'sk_live_x', STRIPE_WEBHOOK_SECRET: 'whsec_1' }).STRIPE_WEBHOOK_SECRET).toBe('whsec_1');
});

test('waits and PUBLIC_URL have defaults and are checked', () => {
  const c = loadConfig({ ...base });
  expect(c.WITHDRAW_ONBOARDING_TIMEOUT_MS).toBe(7 * 24 * 3600_000);
  expect(c.PUBLIC_URL).toBe('http://localhost:3000');
  expect(() => loadConfig({ ...base, WITHDRAW_PAYOUT_POLL_MS: '0' })).toThrow(/WITHDRAW_PAYOUT_POLL_MS/);
});

test('without STRIPE_SECRET_KEY the client points at stripe-mock', () => {
  const stripe = createStripe({ STRIPE_API_BASE: 'http://127.0.0.1:12345' }) as unknown as { getApiField: (k: string) => unknown };
  expect(stripe.getApiField('host')).toBe('127.0.0.1');
  expect(stripe.getApiField('port')).toBe(12345);
  expect(stripe.getApiField('protocol')).toBe('http');
});

test('Stripe refusals are non-retryable provider_error; 5xx, rate limits and network errors retry', () => {
  const refused = toStripeFailure(new Stripe.errors.StripeInvalidRequestError({ message: 'No such destination', type: 'invalid_request_error' })) as ApplicationFailure;
  expect(refused).toBeInstanceOf(ApplicationFailure);
  expect(refused.type).toBe('provider_error');
  expect(refused.nonRetryable).toBe(true);
  for (const err of [
    new Stripe.errors.StripeAPIError({ message: 'boom', type: 'api_error' }),
    new Stripe.errors.StripeRateLimitError({ message: 'slow down', type: 'rate_limit_error' }),
    new Stripe.errors.StripeConnectionError({ message: 'reset', type: 'api_error' }),
  ]) {
    const failure = toStripeFailure(err) as ApplicationFailure;
    expect(failure.nonRetryable).toBe(false);
  }
  const other = new Error('not Stripe');
  expect(toStripeFailure(other)).toBe(other);
});
