/**
 * Fee schedules (issue 12 part 3, README "Splits and fees"): PUT /environments/{env_id}/fees
 * replaces the environment's fees for a currency, GET shows them. The fees themselves are
 * computed where the money moves (the transfer, withdrawal and payment activities).
 * Entries: src/api/docs/fees.ts.
 */
import { Router } from 'express';
import { z } from 'zod';
import type { Currency } from '../../domain/money';
import { readFeeSchedule, setFeeSchedule } from '../../services/fees';
import type { Pool } from '../../db/pool';
import { envEndpoint } from '../env-endpoint';
import { fieldText } from '../json';
import { currency, id } from '../schemas';

const decimal = (example: number | string, description: string) =>
  z
    .preprocess(
      fieldText,
      z
        .string({ error: 'must be a decimal number such as 0.25' })
        .max(40, 'is too long')
        .regex(/^(0|[1-9][0-9]*)(\.[0-9]+)?$/, 'must be a plain decimal number such as 0.25, not negative (no sign, no exponent)'),
    )
    .optional()
    .openapi({ type: ['number', 'string'], example, description });

const Rule = z
  .object({
    percent: z
      .preprocess(
        fieldText,
        z.string({ error: 'must be a decimal string such as "1.5"' }).max(12, 'is too long').regex(/^[0-9.]+$/, 'must be a decimal string from "0" to "100" such as "1.5" (not negative)'),
      )
      .optional()
      .openapi({ type: 'string', example: '1.5', description: 'Percent of the amount, an exact decimal string from "0" to "100" with at most 4 decimals' }),
    fixed: decimal(0.25, 'Added to the percent part (major units)'),
    min: decimal(0.25, 'The fee is at least this (major units)'),
    max: z
      .preprocess((v) => (v === null ? null : fieldText(v)), z.string({ error: 'must be a decimal number such as 10.00, or null' }).max(40, 'is too long')
        .regex(/^(0|[1-9][0-9]*)(\.[0-9]+)?$/, 'must be a plain decimal number such as 10.00, not negative, or null').nullable())
      .optional()
      .openapi({ type: ['number', 'string', 'null'], example: 10, description: 'The fee is at most this (major units); null or absent: no cap' }),
  })
  .strict()
  .nullable()
  .optional();

export const EnvParams = z.object({ env_id: id });
export const PutBody = z.object({ currency, transfer: Rule, withdraw: Rule, payment: Rule });
export const GetQuery = z.object({ currency });

export function feeRoutes(pool: Pool): Router {
  const router = Router();
  router.put(
    '/environments/:env_id/fees',
    ...envEndpoint({ params: EnvParams, body: PutBody }, 'params', async ({ body }, envId) => {
      const { currency: cur, ...schedule } = body;
      return setFeeSchedule(pool, envId, cur as Currency, schedule);
    }),
  );
  router.get(
    '/environments/:env_id/fees',
    ...envEndpoint({ params: EnvParams, query: GetQuery }, 'params', ({ query }, envId) => readFeeSchedule(pool, envId, query.currency as Currency)),
  );
  return router;
}
