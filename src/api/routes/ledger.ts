/**
 * GET /environments/{env_id}/ledger/head/: the environment's ledger head in the
 * tamper-evident ledger (issue 14 section 2, src/db/ledger-chain.ts): its latest sealed
 * transaction, that transaction's place in the chain and its hash. A merchant keeps it
 * and can later prove the books did not change behind it (README, "A tamper-evident ledger").
 */
import { Router } from 'express';
import { z } from 'zod';
import type { Pool } from '../../db/pool';
import { DomainError } from '../../domain/errors';
import { ledgerHead, ledgerLink } from '../../db/ledger-chain';
import { envEndpoint } from '../env-endpoint';
import { id } from '../schemas';

export const EnvParams = z.object({ env_id: id });
export const HeadQuery = z.object({
  transaction_id: id.optional().openapi({
    description: 'A head you kept: answers that sealed transaction\'s link as stored now (its seal_seq and hash must be the ones you kept); 404 when it is not sealed or not in this environment',
  }),
});

export function ledgerRoutes(pool: Pool): Router {
  const router = Router();
  router.get(
    '/environments/:env_id/ledger/head',
    ...envEndpoint({ params: EnvParams, query: HeadQuery }, 'params', async ({ query: q }, envId) => {
      const head = q.transaction_id ? await ledgerLink(pool, envId, q.transaction_id) : await ledgerHead(pool, envId);
      if (q.transaction_id && !head) {
        throw new DomainError('not_found', `ledger transaction ${q.transaction_id} is not sealed in environment ${envId}`);
      }
      return {
        env_id: envId,
        transaction_id: head?.transactionId ?? null,
        seal_seq: head?.sealSeq ?? null,
        hash: head?.hash ?? null,
        sealed_at: head ? head.sealedAt.toISOString() : null,
      };
    }),
  );
  return router;
}
