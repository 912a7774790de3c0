/**
 * Balance monitors (README "Balance alerts"): POST /wallet/monitors creates one, GET lists
 * an environment's (or one wallet's), DELETE disables one. The crossing itself is detected
 * in postTransaction (src/db/queries/monitors.ts).
 */
import { Router } from 'express';
import { z } from 'zod';
import { DomainError } from '../../domain/errors';
import { parseAmountOrZero } from '../../domain/money';
import type { Pool } from '../../db/pool';
import { getWallets } from '../../db/queries/wallets';
import { createMonitor, disableMonitor, listMonitors, MONITOR_FIELDS, MONITOR_OPS, presentMonitor } from '../../db/queries/monitors';
import { requireEnv } from '../auth';
import { fieldText, sendJson } from '../json';
import { id } from '../schemas';
import { endpoint } from '../validate';
import { registerRoute, WalletSchema } from '../openapi';

const threshold = z
  .preprocess(
    fieldText,
    z
      .string({ error: 'must be a decimal number such as 10.00' })
      .max(40, 'is too long')
      .regex(/^(0|[1-9][0-9]*)(\.[0-9]+)?$/, 'must be a plain decimal number such as 10.00 (no sign, no exponent)'),
  )
  .openapi({ type: ['number', 'string'], example: 10, description: "Threshold in major units of the wallet's currency (0 allowed)" });

const CreateBody = z.object({
  env_id: id,
  wallet_id: id,
  field: z.enum(MONITOR_FIELDS, { error: 'must be balance or held' }),
  op: z.enum(MONITOR_OPS, { error: 'must be lt, lte, gt or gte' }),
  value: threshold,
});
const ListQuery = z.object({ env_id: id, wallet_id: id.optional() });
const MonitorParams = z.object({ monitor_id: id });
const DeleteQuery = z.object({ env_id: id });

const moneyOut = WalletSchema.shape.balance;
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
  responses: { 200: { description: 'Monitors', schema: z.object({ monitors: z.array(MonitorSchema) }), example: { monitors: [monitorExample] } } },
});
registerRoute({
  method: 'delete', path: '/wallet/monitors/:monitor_id', tags: ['wallets'], summary: 'Disable a monitor',
  request: { params: MonitorParams, query: DeleteQuery },
  responses: { 200: { description: 'The monitor, now disabled', schema: MonitorSchema, example: { ...monitorExample, status: 'disabled' } } },
});

export function monitorRoutes(pool: Pool): Router {
  const router = Router();

  router.post(
    '/wallet/monitors',
    ...endpoint({ body: CreateBody }, async ({ body }, _req, res) => {
      const envId = requireEnv(res, body.env_id);
      const [wallet] = await getWallets(pool, envId, [body.wallet_id]);
      if (!wallet) throw new DomainError('not_found', `wallet ${body.wallet_id} not found`, { wallet_id: body.wallet_id });
      const value = parseAmountOrZero(body.value, wallet.currency, 'value');
      const monitor = await createMonitor(pool, { envId, walletId: wallet.id, field: body.field, op: body.op, value });
      sendJson(res, 201, presentMonitor(monitor));
    }),
  );

  router.get(
    '/wallet/monitors',
    ...endpoint({ query: ListQuery }, async ({ query }, _req, res) => {
      const envId = requireEnv(res, query.env_id);
      sendJson(res, 200, { monitors: (await listMonitors(pool, envId, query.wallet_id)).map(presentMonitor) });
    }),
  );

  router.delete(
    '/wallet/monitors/:monitor_id',
    ...endpoint({ params: MonitorParams, query: DeleteQuery }, async ({ params, query }, _req, res) => {
      const envId = requireEnv(res, query.env_id);
      const disabled = await disableMonitor(pool, envId, params.monitor_id);
      if (!disabled) throw new DomainError('not_found', `monitor ${params.monitor_id} not found`);
      sendJson(res, 200, presentMonitor(disabled));
    }),
  );

  return router;
}
