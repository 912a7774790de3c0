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
import type { WalletRequest } from '../../services/movements';
import { envEndpoint } from '../env-endpoint';
import type { Answer, Idempotency } from '../idempotency';
import { movementAnswer } from '../money-endpoint';
import { id } from '../schemas';
import type { TemporalDeps } from '../temporal';

export const TopupParams = z.object({ topup_id: id });
export const EnvQuery = z.object({ env_id: id });

/** POST /wallet/topup with "method": "card": the answer stored by respondIdempotently. */
export async function cardTopupAnswer(
  pool: Pool,
  temporal: TemporalDeps,
  settings: CardTopupSettings,
  request: WalletRequest,
  idem: Idempotency,
): Promise<Answer> {
  const { started, workflowId } = await startCardTopup(pool, temporal, settings, { ...idem, ...request });
  return movementAnswer(workflowId, { topup: presentCardTopup(started.topup), wallet: presentWallet(started.wallet) });
}

export function cardTopupRoutes(pool: Pool): Router {
  const router = Router();
  router.get(
    '/wallet/topups/:topup_id',
    ...envEndpoint({ params: TopupParams, query: EnvQuery }, 'query', async ({ params }, envId) => {
      const { topup, timeline } = await getCardTopup(pool, envId, params.topup_id);
      return { ...presentCardTopup(topup), timeline: timeline.map(presentCardTopupEvent) };
    }),
  );
  return router;
}
