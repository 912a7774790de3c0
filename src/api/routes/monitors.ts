/**
 * Balance monitors (README "Balance alerts"): POST /wallet/monitors creates one, GET lists
 * an environment's (or one wallet's), DELETE disables one. The crossing itself is detected
 * in postTransaction (src/db/queries/monitors.ts).
 */
import { Router } from 'express';
import { requireWallet } from '../../services/wallets';
import { z } from 'zod';
import { DomainError } from '../../domain/errors';
import { parseAmountOrZero } from '../../domain/money';
import type { Pool } from '../../db/pool';
import { createMonitor, disableMonitor, listMonitors, MONITOR_FIELDS, MONITOR_OPS, presentMonitor } from '../../db/queries/monitors';
import { envEndpoint } from '../env-endpoint';
import { fieldText } from '../json';
import { id } from '../schemas';

const threshold = z
  .preprocess(
    fieldText,
    z
      .string({ error: 'must be a decimal number such as 10.00' })
      .max(40, 'is too long')
      .regex(/^(0|[1-9][0-9]*)(\.[0-9]+)?$/, 'must be a plain decimal number such as 10.00 (no sign, no exponent)'),
  )
  .openapi({ type: ['number', 'string'], example: 10, description: "Threshold in major units of the wallet's currency (0 allowed)" });

export const CreateBody = z.object({
  env_id: id,
  wallet_id: id,
  field: z.enum(MONITOR_FIELDS, { error: 'must be balance or held' }),
  op: z.enum(MONITOR_OPS, { error: 'must be lt, lte, gt or gte' }),
  value: threshold,
});
export const ListQuery = z.object({ env_id: id, wallet_id: id.optional() });
export const MonitorParams = z.object({ monitor_id: id });
export const DeleteQuery = z.object({ env_id: id });

export function monitorRoutes(pool: Pool): Router {
  const router = Router();

  router.post(
    '/wallet/monitors',
    ...envEndpoint(
      { body: CreateBody },
      'body',
      async ({ body }, envId) => {
        const wallet = await requireWallet(pool, envId, body.wallet_id);
        const value = parseAmountOrZero(body.value, wallet.currency, 'value');
        return presentMonitor(await createMonitor(pool, { envId, walletId: wallet.id, field: body.field, op: body.op, value }));
      },
      { status: 201 },
    ),
  );

  router.get(
    '/wallet/monitors',
    ...envEndpoint({ query: ListQuery }, 'query', async ({ query }, envId) => ({
      monitors: (await listMonitors(pool, envId, query.wallet_id)).map(presentMonitor),
    })),
  );

  router.delete(
    '/wallet/monitors/:monitor_id',
    ...envEndpoint({ params: MonitorParams, query: DeleteQuery }, 'query', async ({ params }, envId) => {
      const disabled = await disableMonitor(pool, envId, params.monitor_id);
      if (!disabled) throw new DomainError('not_found', `monitor ${params.monitor_id} not found`);
      return presentMonitor(disabled);
    }),
  );

  return router;
}
