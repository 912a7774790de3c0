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
import { requireEnv } from '../auth';
import { sendJson } from '../json';
import { registerRoute } from '../openapi';
import { id } from '../schemas';
import { endpoint } from '../validate';

const EnvParams = z.object({ env_id: id });
const HeadQuery = z.object({
  transaction_id: id.optional().openapi({
    description: 'A head you kept: answers that sealed transaction\'s link as stored now (its seal_seq and hash must be the ones you kept); 404 when it is not sealed or not in this environment',
  }),
});

const HeadSchema = z.object({
  env_id: z.string(),
  transaction_id: z.string().nullable().openapi({ description: 'The latest sealed ledger transaction (null before the first seal)' }),
  seal_seq: z.string().nullable().openapi({ description: "Its place in the environment's chain: 1, 2, 3, … in seal order" }),
  hash: z
    .string()
    .nullable()
    .openapi({ description: 'SHA-256 (hex) of the previous link\'s hash and this transaction\'s canonical content (README, "A tamper-evident ledger")' }),
  sealed_at: z.string().nullable(),
});

registerRoute({
  method: 'get',
  path: '/environments/:env_id/ledger/head',
  tags: ['history'],
  summary: "The environment's ledger head: its latest sealed transaction and chain hash",
  description:
    'Every ledger transaction is sealed into its environment\'s hash chain by the worker shortly after its commit (within about `LEDGER_SEAL_INTERVAL_MS`, default 1 s). ' +
    'The head is the latest sealed transaction; transactions committed since are not in it yet. Keep `transaction_id`, `seal_seq` and `hash`: ' +
    'the chain up to that link can be recomputed later (`npm run admin -- ledger verify`), and any change to a sealed transaction or its postings breaks it. ' +
    'All fields are null before the environment\'s first seal. With `transaction_id`, the link of that sealed transaction instead (to check a head kept earlier).',
  request: { params: EnvParams, query: HeadQuery },
  responses: {
    200: {
      description: 'The ledger head',
      schema: HeadSchema,
      example: {
        env_id: '123',
        transaction_id: '28',
        seal_seq: '17',
        hash: '9f2c6a0d4b7e1f38a5c2d9e07b6f4a1c3e8d5b2a7f0c9e6d1b4a8f3c7e2d5a90',
        sealed_at: '2026-01-09T08:30:01.012Z',
      },
    },
  },
});

export function ledgerRoutes(pool: Pool): Router {
  const router = Router();
  router.get(
    '/environments/:env_id/ledger/head',
    ...endpoint({ params: EnvParams, query: HeadQuery }, async ({ params: p, query: q }, _req, res) => {
      const envId = requireEnv(res, p.env_id);
      const head = q.transaction_id ? await ledgerLink(pool, envId, q.transaction_id) : await ledgerHead(pool, envId);
      if (q.transaction_id && !head) {
        throw new DomainError('not_found', `ledger transaction ${q.transaction_id} is not sealed in environment ${envId}`);
      }
      sendJson(res, 200, {
        env_id: envId,
        transaction_id: head?.transactionId ?? null,
        seal_seq: head?.sealSeq ?? null,
        hash: head?.hash ?? null,
        sealed_at: head ? head.sealedAt.toISOString() : null,
      });
    }),
  );
  return router;
}
