/**
 * Card top-ups (issue 12, part 1; README, Card top-ups). POST /wallet/topup with
 * "method": "card" is routed here by topups-payments.ts; GET /wallet/topups/{id} shows one
 * with its timeline. Validate → src/services/card-topups.ts → present.
 * Entries: src/api/docs/card-topups.ts.
 */
import { Router } from 'express';
import { z } from 'zod';
import type { Pool } from '../../db/pool';
import { getCardTopup, startCardTopup, type CardTopupSettings } from '../../services/card-topups';
import { presentCardTopup, presentCardTopupEvent, presentWallet } from '../../wire/present';
import { requireEnv } from '../auth';
import type { Answer, Idempotency } from '../idempotency';
import { sendJson } from '../json';
import { id } from '../schemas';
import type { TemporalDeps } from '../temporal';
import { endpoint } from '../validate';

export const TopupParams = z.object({ topup_id: id });
export const EnvQuery = z.object({ env_id: id });

/** POST /wallet/topup with "method": "card": the answer stored by respondIdempotently. */
export async function cardTopupAnswer(
  pool: Pool,
  temporal: TemporalDeps,
  settings: CardTopupSettings,
  body: { env_id: string; user_id: string; wallet_id: string; amount: string },
  idem: Idempotency,
): Promise<Answer> {
  const { started, workflowId } = await startCardTopup(pool, temporal, settings, {
    ...idem,
    envId: body.env_id,
    walletId: body.wallet_id,
    userId: body.user_id,
    amount: body.amount,
  });
  return { status: 200, workflowId, body: { topup: presentCardTopup(started.topup), wallet: presentWallet(started.wallet) } };
}

export function cardTopupRoutes(pool: Pool): Router {
  const router = Router();
  router.get(
    '/wallet/topups/:topup_id',
    ...endpoint({ params: TopupParams, query: EnvQuery }, async ({ params, query }, _req, res) => {
      const envId = requireEnv(res, query.env_id);
      const { topup, timeline } = await getCardTopup(pool, envId, params.topup_id);
      sendJson(res, 200, { ...presentCardTopup(topup), timeline: timeline.map(presentCardTopupEvent) });
    }),
  );
  return router;
}
