/** OpenAPI entries of routes/webhooks.ts (registered by src/api/openapi.ts). */
import { z } from 'zod';
import { registerDisable, registerRoute, WebhookEndpointSchema } from './registry';
import { collection } from './responses';
import { EnvParams, WebhookParams, CreateBody } from '../routes/webhooks';

export function documentWebhooks(): void {
  const endpointExample = {
    id: '1', env_id: '123', url: 'https://merchant.example.com/paynocchio/webhooks', event_types: ['payment.completed', 'refund.completed'],
    status: 'enabled', created_at: '2026-01-01T00:00:00.000Z',
  };

  registerRoute({
    method: 'post', path: '/environments/:env_id/webhooks', tags: ['webhooks'], summary: 'Register a webhook endpoint',
    description:
      'Without `event_types`, the endpoint receives every event type. The signing secret (Standard Webhooks `whsec_…`) is returned only here. ' +
      'An environment has at most `WEBHOOK_MAX_ENDPOINTS` (default 20) enabled endpoints: beyond, 409 `conflict` (disable one first).',
    request: {
      params: EnvParams,
      body: CreateBody,
      bodyExample: { url: 'https://merchant.example.com/paynocchio/webhooks', event_types: ['payment.completed', 'refund.completed'] },
    },
    responses: {
      201: {
        description: 'The endpoint, with its signing secret (shown once)',
        schema: WebhookEndpointSchema.extend({ secret: z.string().openapi({ description: 'Standard Webhooks signing secret' }) }),
        example: { ...endpointExample, secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' },
      },
    },
  });
  registerRoute({
    method: 'get', path: '/environments/:env_id/webhooks', tags: ['webhooks'], summary: "The environment's webhook endpoints (without secrets)",
    request: { params: EnvParams },
    responses: { 200: collection('Endpoints', 'webhooks', WebhookEndpointSchema, [endpointExample]) },
  });
  registerDisable(
    { path: '/environments/:env_id/webhooks/:webhook_id', tags: ['webhooks'], summary: 'Disable a webhook endpoint', request: { params: WebhookParams } },
    { description: 'The endpoint, now disabled', schema: WebhookEndpointSchema, example: endpointExample },
  );

}
