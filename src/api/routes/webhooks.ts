/**
 * Merchant webhook endpoints: POST /environments/{env_id}/webhooks registers a URL
 * and the event types it wants and returns the signing secret (Standard Webhooks
 * `whsec_…`) once; GET lists them without secrets; DELETE disables one.
 */
import { randomBytes } from 'node:crypto';
import { Router } from 'express';
import { z } from 'zod';
import { DomainError } from '../../domain/errors';
import { EVENT_TYPES } from '../../domain/events';
import type { Pool } from '../../db/pool';
import { createEndpoint, disableEndpoint, listEndpoints } from '../../db/queries/webhook-endpoints';
import { envEndpoint } from '../env-endpoint';
import { presentWebhookEndpoint } from '../../wire/present';
import { id } from '../schemas';
import { webhookUrlProblem } from '../../domain/webhook-url';

// The syntax rules (scheme, credentials, control characters): the same for every
// deployment. Whether the host may be an internal address depends on the app's
// policy (WEBHOOK_ALLOW_PRIVATE_NETWORKS) and is checked in the handler.
const url = z
  .string({ error: 'must be an http(s) URL' })
  .superRefine((text, ctx) => {
    const problem = webhookUrlProblem(text, { allowPrivateNetworks: true });
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  })
  .openapi({
    description:
      'Absolute http(s) URL without credentials or control characters, at most 2048 characters, on a public address: loopback, private, link-local, unique-local, multicast and other reserved addresses (and `localhost`) are refused here, and again when each delivery resolves the host (unless the deployment sets `WEBHOOK_ALLOW_PRIVATE_NETWORKS=true`).',
  });

const eventTypes = z
  .array(z.enum(EVENT_TYPES, { error: `must be among ${EVENT_TYPES.join(', ')}` }), { error: 'must be a list of event types' })
  .min(1, 'must name at least one event type')
  .optional();

export const EnvParams = z.object({ env_id: id });
export const WebhookParams = EnvParams.extend({ webhook_id: id });
export const CreateBody = z.object({ url, event_types: eventTypes });
/** Standard Webhooks secret: "whsec_" + base64 of 24 random bytes. */
function newSigningSecret(): string {
  return 'whsec_' + randomBytes(24).toString('base64');
}

export interface WebhookPolicy {
  /** WEBHOOK_ALLOW_PRIVATE_NETWORKS: accept loopback and private addresses (tests, a local receiver). */
  allowPrivateNetworks?: boolean;
  /** WEBHOOK_MAX_ENDPOINTS: enabled endpoints per environment. */
  maxEndpoints?: number;
}

export const DEFAULT_MAX_WEBHOOK_ENDPOINTS = 20;

export function webhookRoutes(pool: Pool, policy: WebhookPolicy = {}): Router {
  const allowPrivateNetworks = policy.allowPrivateNetworks ?? false;
  const maxEndpoints = policy.maxEndpoints ?? DEFAULT_MAX_WEBHOOK_ENDPOINTS;
  const router = Router();
  router.post(
    '/environments/:env_id/webhooks',
    ...envEndpoint(
      { params: EnvParams, body: CreateBody },
      'params',
      async ({ body }, envId) => {
        const problem = webhookUrlProblem(body.url, { allowPrivateNetworks });
        if (problem) {
          throw new DomainError('invalid_request', `url: ${problem}`, { issues: [{ location: 'body', path: 'url', message: problem }] });
        }
        const types = [...new Set(body.event_types ?? EVENT_TYPES)];
        const secret = newSigningSecret();
        const created = await createEndpoint(pool, envId, body.url, types, secret, maxEndpoints);
        if ('limitReached' in created) {
          throw new DomainError(
            'conflict',
            `environment ${envId} already has ${created.limitReached} enabled webhook endpoints, the most allowed (${maxEndpoints}); disable one first`,
            { limit: maxEndpoints },
          );
        }
        return { ...presentWebhookEndpoint(created.endpoint), secret };
      },
      { status: 201 },
    ),
  );

  router.get(
    '/environments/:env_id/webhooks',
    ...envEndpoint({ params: EnvParams }, 'params', async (_input, envId) => ({ webhooks: (await listEndpoints(pool, envId)).map(presentWebhookEndpoint) })),
  );

  router.delete(
    '/environments/:env_id/webhooks/:webhook_id',
    ...envEndpoint({ params: WebhookParams }, 'params', async ({ params }, envId) => {
      const disabled = await disableEndpoint(pool, envId, params.webhook_id);
      if (!disabled) throw new DomainError('not_found', `webhook ${params.webhook_id} not found`);
      return presentWebhookEndpoint(disabled);
    }),
  );

  return router;
}
