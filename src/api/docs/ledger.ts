/** OpenAPI entries of routes/ledger.ts (registered by src/api/openapi.ts). */
import { z } from 'zod';
import { registerRoute } from './registry';
import { EnvParams, HeadQuery } from '../routes/ledger';

export function documentLedger(): void {
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

}
