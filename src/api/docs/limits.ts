/** OpenAPI entries of routes/limits.ts (registered by src/api/openapi.ts). */
import { z } from 'zod';
import { moneyOut, registerRoute, WalletSchema } from './registry';
import { WalletParams, EnvParams, PatchBody, PutBody } from '../routes/limits';

const LimitEntry = z
  .object({
    limit: moneyOut,
    used: moneyOut,
    remaining: moneyOut,
    resets_at: z.string().openapi({ example: '2026-01-02T00:00:00.000Z', description: 'Start of the next UTC day (or month)' }),
    source: z.enum(['wallet', 'environment']),
  })
  .nullable();
const LimitsSchema = z
  .object({ daily_amount: LimitEntry, monthly_amount: LimitEntry, daily_count: LimitEntry, timezone: z.literal('UTC') })
  .openapi({ description: 'Present only when a limit applies to the wallet (its own or its environment default). Counts are integers.' });
export const WalletWithLimitsSchema = WalletSchema.extend({ limits: LimitsSchema.optional() });

export function documentLimits(): void {
  registerRoute({
    method: 'patch', path: '/wallet/:wallet_id/limits', tags: ['wallets'], summary: "Set a wallet's spend limits",
    description:
      'Bounds what leaves the wallet through payments, transfers and withdrawals per UTC day (`daily_amount`, `daily_count`) and UTC month (`monthly_amount`). ' +
      'Incoming money, refunds and releases are never limited. A field left out is kept; null removes the wallet\'s own limit (the environment default, if any, then applies). ' +
      'A movement over a limit is refused with 422 `limit_exceeded`. Usage is counted while a limit applies to the wallet.',
    request: { params: WalletParams, body: PatchBody, bodyExample: { env_id: '123', user_id: '123', daily_amount: 500, daily_count: 10, monthly_amount: null } },
    responses: { 200: { description: 'The wallet with its limits and what is left', schema: WalletWithLimitsSchema } },
  });
  registerRoute({
    method: 'put', path: '/environments/:env_id/limits', tags: ['wallets'], summary: "Set the environment's default spend limits for a currency",
    description: 'Applies to every wallet of the currency without its own value for a limit. Replaces the defaults: a field left out or null means no default.',
    request: { params: EnvParams, body: PutBody, bodyExample: { currency: 'USD', daily_amount: 1000, daily_count: 50 } },
    responses: {
      200: {
        description: 'The defaults now in force',
        schema: z.object({
          env_id: z.string(),
          currency: z.string(),
          daily_amount: moneyOut.nullable(),
          monthly_amount: moneyOut.nullable(),
          daily_count: z.number().int().nullable(),
        }),
      },
    },
  });

}
