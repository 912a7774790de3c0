/**
 * Spend limits (README "Spend limits"): PATCH /wallet/{wallet_id}/limits sets a wallet's
 * own limits, PUT /environments/{env_id}/limits the environment's defaults for a currency.
 * The check itself runs in postTransaction (src/db/queries/spend-limits.ts).
 */
import { Router } from 'express';
import { lockOwnedWallet } from '../../services/wallets';
import { z } from 'zod';
import { parseAmountOrZero, type Currency } from '../../domain/money';
import { withTransaction, type Pool } from '../../db/pool';
import {
  getLimitStatuses,
  LIMIT_FIELDS,
  patchWalletLimits,
  putEnvironmentLimits,
  type LimitField,
  type LimitPatch,
  type LimitStatus,
} from '../../db/queries/spend-limits';
import { envEndpoint } from '../env-endpoint';
import { fieldText } from '../json';
import { money } from '../../wire/money';
import { presentWallet } from '../../wire/present';
import { currency, id, userId } from '../schemas';

/** A limit amount: a decimal in major units (0 allowed: nothing may leave), or null to remove it. */
const limitAmount = z
  .preprocess(
    (v) => (v === null ? null : fieldText(v)),
    z
      .string({ error: 'must be a decimal number such as 100.00, or null' })
      .max(40, 'is too long')
      .regex(/^(0|[1-9][0-9]*)(\.[0-9]+)?$/, 'must be a plain decimal number such as 100.00 (no sign, no exponent), or null')
      .nullable(),
  )
  .optional()
  .openapi({ type: ['number', 'string', 'null'], example: 500, description: 'Major units of the wallet currency; null removes the limit' });
const limitCount = z
  .preprocess(
    (v) => (v === null ? null : fieldText(v)),
    z
      .string({ error: 'must be a whole number from 0 to 1000000, or null' })
      .regex(/^(0|[1-9][0-9]{0,6})$/, 'must be a whole number from 0 to 1000000, or null')
      .refine((t) => Number(t) <= 1_000_000, 'must be a whole number from 0 to 1000000, or null')
      .nullable(),
  )
  .optional()
  .openapi({ type: ['integer', 'string', 'null'], example: 10, description: 'Outgoing movements per UTC day; null removes the limit' });

export const WalletParams = z.object({ wallet_id: id });
export const EnvParams = z.object({ env_id: id });
export const PatchBody = z.object({ env_id: id, user_id: userId, daily_amount: limitAmount, monthly_amount: limitAmount, daily_count: limitCount });
export const PutBody = z.object({ currency, daily_amount: limitAmount, monthly_amount: limitAmount, daily_count: limitCount });

export function presentLimits(s: LimitStatus) {
  const entry = (field: LimitField, resetsAt: string) => {
    const limit = s.limits[field];
    if (limit === null) return null;
    const used = BigInt(s.used[field]);
    const remaining = BigInt(limit) - used > 0n ? BigInt(limit) - used : 0n;
    const out = (v: bigint | string) => (field === 'daily_count' ? Number(v) : money(v, s.currency));
    return { limit: out(limit), used: out(used), remaining: out(remaining), resets_at: resetsAt, source: s.source[field] };
  };
  return {
    daily_amount: entry('daily_amount', s.dayResetsAt),
    monthly_amount: entry('monthly_amount', s.monthResetsAt),
    daily_count: entry('daily_count', s.dayResetsAt),
    timezone: 'UTC' as const,
  };
}

type LimitInput = { daily_amount?: string | null; monthly_amount?: string | null; daily_count?: string | null };

function toMinor(body: LimitInput, cur: Currency): LimitPatch {
  const out: LimitPatch = {};
  for (const f of LIMIT_FIELDS) {
    const v = body[f];
    if (v === undefined) continue;
    out[f] = v === null ? null : f === 'daily_count' ? BigInt(v) : parseAmountOrZero(v, cur, f);
  }
  return out;
}

export function limitRoutes(pool: Pool): Router {
  const router = Router();

  router.patch(
    '/wallet/:wallet_id/limits',
    ...envEndpoint({ params: WalletParams, body: PatchBody }, 'body', ({ params, body }, envId) =>
      withTransaction(pool, async (client) => {
        const wallet = await lockOwnedWallet(client, envId, params.wallet_id, body.user_id);
        await patchWalletLimits(client, envId, wallet.id, toMinor(body, wallet.currency));
        const status = (await getLimitStatuses(client, envId, [wallet.id])).get(wallet.id);
        return { ...presentWallet(wallet), ...(status ? { limits: presentLimits(status) } : {}) };
      }),
    ),
  );

  router.put(
    '/environments/:env_id/limits',
    ...envEndpoint({ params: EnvParams, body: PutBody }, 'params', async ({ body }, envId) => {
      const cur = body.currency as Currency;
      const patch = toMinor(body, cur);
      const values = Object.fromEntries(LIMIT_FIELDS.map((f) => [f, patch[f] ?? null])) as Record<LimitField, bigint | null>;
      await putEnvironmentLimits(pool, envId, cur, values);
      return {
        env_id: envId,
        currency: cur,
        daily_amount: values.daily_amount === null ? null : money(values.daily_amount, cur),
        monthly_amount: values.monthly_amount === null ? null : money(values.monthly_amount, cur),
        daily_count: values.daily_count === null ? null : Number(values.daily_count),
      };
    }),
  );

  return router;
}
