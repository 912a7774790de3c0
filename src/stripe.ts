/**
 * The one Stripe client. With STRIPE_SECRET_KEY it talks to real Stripe (test mode
 * with sk_test_…); without, to stripe-mock at STRIPE_API_BASE with a dummy key, so
 * dev and tests run offline. stripe-mock keeps no state and sends no webhooks.
 */
import Stripe from 'stripe';

export type { Stripe };

export interface StripeConfig {
  STRIPE_SECRET_KEY?: string;
  STRIPE_API_BASE: string;
}

export function createStripe(config: StripeConfig): Stripe {
  // The client's own retries reuse the same idempotency key, so they are safe; Temporal
  // retries the activity on top with backoff.
  const common = { maxNetworkRetries: 1, timeout: 20_000, appInfo: { name: 'paynocchio' } };
  if (config.STRIPE_SECRET_KEY) return new Stripe(config.STRIPE_SECRET_KEY, common);
  const base = new URL(config.STRIPE_API_BASE);
  const protocol = base.protocol === 'https:' ? 'https' : 'http';
  return new Stripe('sk_test_123', {
    ...common,
    host: base.hostname,
    port: Number(base.port || (protocol === 'https' ? 443 : 80)),
    protocol,
  });
}
