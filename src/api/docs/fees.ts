/** OpenAPI entries of routes/fees.ts (registered by src/api/openapi.ts). */
import { z } from 'zod';
import { FEE_ROUNDING } from '../../services/fees';
import { registerRoute, WalletSchema } from './registry';
import { EnvParams, GetQuery, PutBody } from '../routes/fees';

export function documentFees(): void {
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
}
