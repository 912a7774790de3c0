/** OpenAPI entries of routes/monitors.ts (registered by src/api/openapi.ts). */
import { z } from 'zod';
import { MONITOR_FIELDS, MONITOR_OPS } from '../../db/queries/monitors';
import { moneyOut, registerDisable, registerRoute } from './registry';
import { collection } from './responses';
import { CreateBody, ListQuery, MonitorParams, DeleteQuery } from '../routes/monitors';

export function documentMonitors(): void {
  const MonitorSchema = z.object({
    id: z.string(),
    env_id: z.string(),
    wallet_id: z.string(),
    field: z.enum(MONITOR_FIELDS),
    op: z.enum(MONITOR_OPS),
    value: moneyOut,
    currency: z.string(),
    status: z.enum(['enabled', 'disabled']),
    created_at: z.string(),
  });
  const monitorExample = {
    id: '1', env_id: '123', wallet_id: '100000001', field: 'balance', op: 'lt', value: 10.0, currency: 'USD', status: 'enabled',
    created_at: '2026-01-01T00:00:00.000Z',
  };

  registerRoute({
    method: 'post', path: '/wallet/monitors', tags: ['wallets'], summary: "Watch a wallet's balance or held against a threshold",
    description:
      'When a posting moves `field` from outside the condition (`field` `op` `value`) into it, one `wallet.balance_threshold_crossed` event is sent ' +
      '(webhooks and the events feed). Edge-triggered: postings while the condition holds send nothing; it fires again only after the value has left the condition and entered it anew. ' +
      'A monitor created while its condition already holds fires only after the value has left it and come back.',
    request: { body: CreateBody, bodyExample: { env_id: '123', wallet_id: '100000001', field: 'balance', op: 'lt', value: 10 } },
    responses: { 201: { description: 'The monitor', schema: MonitorSchema, example: monitorExample } },
  });
  registerRoute({
    method: 'get', path: '/wallet/monitors', tags: ['wallets'], summary: "The environment's monitors (or one wallet's)",
    request: { query: ListQuery },
    responses: { 200: collection('Monitors', 'monitors', MonitorSchema, [monitorExample]) },
  });
  registerDisable(
    { path: '/wallet/monitors/:monitor_id', tags: ['wallets'], summary: 'Disable a monitor', request: { params: MonitorParams, query: DeleteQuery } },
    { description: 'The monitor, now disabled', schema: MonitorSchema, example: monitorExample },
  );

}
