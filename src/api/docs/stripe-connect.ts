/** OpenAPI entries of routes/stripe-connect.ts (registered by src/api/openapi.ts). */
import { z } from 'zod';
import { ErrorSchema, registerRoute } from './registry';
import { WITHDRAWAL_STATUSES } from '../../domain/withdrawals';
import { linkInput } from '../routes/stripe-connect';

export function documentStripeConnect(): void {
  const notFound = {
    description: 'No withdrawal with this id and link token',
    schema: ErrorSchema,
    example: { error: { code: 'not_found', message: 'withdrawal 900000001 not found', details: {} } },
  };
  const invalid = {
    description: 'The token is missing or the id malformed',
    schema: ErrorSchema,
    example: { error: { code: 'invalid_request', message: 'token: is required', details: { issues: [{ location: 'query', path: 'token', message: 'is required' }] } } },
  };

  registerRoute({
    method: 'get', path: '/stripe/connect/return/:withdrawal_id', tags: ['stripe'], auth: 'none',
    summary: "Stripe onboarding's return URL (the user's browser)",
    description:
      "Where Stripe sends the user's browser after onboarding. The withdrawal's link token in the URL is the credential. " +
      'Re-reads the Stripe account; if it can receive payouts, the waiting withdrawal goes on.',
    request: linkInput,
    responses: {
      200: {
        description: 'Where the withdrawal stands',
        schema: z.object({
          withdrawal_id: z.string(),
          status: z.enum(WITHDRAWAL_STATUSES),
          payouts_enabled: z.boolean(),
          message: z.string(),
        }),
        example: {
          withdrawal_id: '900000001',
          status: 'processing',
          payouts_enabled: true,
          message: 'Your account is ready: the withdrawal is on its way. You can close this page.',
        },
      },
      404: notFound,
      422: invalid,
      503: { description: 'Stripe is not configured in this process', schema: ErrorSchema },
    },
  });
  registerRoute({
    method: 'get', path: '/stripe/connect/refresh/:withdrawal_id', tags: ['stripe'], auth: 'none',
    summary: "Stripe onboarding's refresh URL (the user's browser)",
    description:
      'Where Stripe sends the browser when the onboarding link expired or was already used: the workflow makes a fresh link and the browser is redirected to it.',
    request: linkInput,
    responses: {
      302: { description: 'Redirect (`Location` header) to a fresh Stripe onboarding link' },
      404: notFound,
      409: {
        description:
          'The withdrawal is no longer awaiting onboarding, or its link was refreshed as often as allowed (`WITHDRAW_MAX_LINK_REFRESHES`, default 10): ' +
          'cancel it and start a new withdrawal',
        schema: ErrorSchema,
        example: { error: { code: 'conflict', message: 'the withdrawal is processing: no onboarding link is needed', details: { status: 'processing' } } },
      },
      422: invalid,
      429: {
        description: 'Too many requests to /stripe/connect from this address (`STRIPE_CONNECT_RATE_LIMIT_PER_MINUTE`); see Retry-After',
        schema: ErrorSchema,
        example: { error: { code: 'rate_limited', message: 'too many requests to /stripe/connect from this address; retry in 42 s', details: { retry_after_seconds: 42 } } },
      },
    },
  });

}
