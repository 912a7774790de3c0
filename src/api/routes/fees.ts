/**
 * Fee schedules (issue 12 part 3, README "Splits and fees"): PUT /environments/{env_id}/fees
 * replaces the environment's fees for a currency, GET shows them. The fees themselves are
 * computed where the money moves (the transfer, withdrawal and payment activities).
 */
import { Router } from 'express';
import { z } from 'zod';
import type { Currency } from '../../domain/money';
import { readFeeSchedule, setFeeSchedule, FEE_ROUNDING } from '../../services/fees';
import { requireEnv } from '../auth';
import type { Pool } from '../../db/pool';
import { fieldText, sendJson } from '../json';
import { registerRoute, WalletSchema } from '../openapi';
import { currency, id } from '../schemas';
import { endpoint } from '../validate';

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

const EnvParams = z.object({ env_id: id });
const PutBody = z.object({ currency, transfer: Rule, withdraw: Rule, payment: Rule });
const GetQuery = z.object({ currency });

const moneyOut = WalletSchema.shape.balance;
const RuleOut = z.object({ percent: z.string(), fixed: moneyOut, min: moneyOut, max: moneyOut.nullable() }).nullable();
const ScheduleSchema = z.object({
  env_id: z.string(),
  currency: z.string(),
  transfer: RuleOut.openapi({ description: 'Charged to the sender on top of the amount' }),
  withdraw: RuleOut.openapi({ description: 'Charged on top of the amount with the hold; given back if the withdrawal fails' }),
  payment: RuleOut.openapi({ description: "Taken from the sellers' splits in proportion (rounded down, the largest remainders get the leftover minor units), or from revenue without splits" }),
  rounding: z.string().openapi({ example: FEE_ROUNDING }),
});
const example = {
  env_id: '123',
  currency: 'USD',
  transfer: { percent: '1.5', fixed: 0.25, min: 0.25, max: 10.0 },
  withdraw: { percent: '0', fixed: 0.5, min: 0, max: null },
  payment: { percent: '2.9', fixed: 0.3, min: 0, max: null },
  rounding: FEE_ROUNDING,
};

registerRoute({
  method: 'put', path: '/environments/:env_id/fees', tags: ['fees'], summary: "Set the environment's fee schedule for a currency",
  description:
    `Replaces the schedule: a kind left out or null has no fee. ${FEE_ROUNDING}. Fees are posted to the environment's \`fees\` account, ` +
    'as their own legs in the ledger transaction of the movement. Bad percent, a negative amount, more decimals than the currency has, or min > max: 422.',
  request: {
    params: EnvParams,
    body: PutBody,
    bodyExample: { currency: 'USD', transfer: { percent: '1.5', fixed: 0.25, min: 0.25, max: 10.0 }, withdraw: { fixed: 0.5 }, payment: { percent: '2.9', fixed: 0.3 } },
  },
  responses: { 200: { description: 'The schedule now in force', schema: ScheduleSchema, example } },
});
registerRoute({
  method: 'get', path: '/environments/:env_id/fees', tags: ['fees'], summary: "The environment's fee schedule for a currency",
  request: { params: EnvParams, query: GetQuery },
  responses: { 200: { description: 'The schedule in force (null: no fee for that kind)', schema: ScheduleSchema, example } },
});

export function feeRoutes(pool: Pool): Router {
  const router = Router();
  router.put(
    '/environments/:env_id/fees',
    ...endpoint({ params: EnvParams, body: PutBody }, async ({ params, body }, _req, res) => {
      const envId = requireEnv(res, params.env_id);
      const { currency: cur, ...schedule } = body;
      sendJson(res, 200, await setFeeSchedule(pool, envId, cur as Currency, schedule));
    }),
  );
  router.get(
    '/environments/:env_id/fees',
    ...endpoint({ params: EnvParams, query: GetQuery }, async ({ params, query }, _req, res) => {
      const envId = requireEnv(res, params.env_id);
      sendJson(res, 200, await readFeeSchedule(pool, envId, query.currency as Currency));
    }),
  );
  return router;
}
