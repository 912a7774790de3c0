/**
 * Reads from the ledger: a wallet's movements (newest first, keyset-paginated on the
 * posting id) and its balance at an instant. Reads never go through Temporal.
 */
import { Router } from 'express';
import { z } from 'zod';
import { DomainError } from '../../domain/errors';
import type { Wallet } from '../../domain/types';
import type { Pool } from '../../db/pool';
import { balanceAt, listWalletMovements } from '../../db/queries/history';
import { findWallet } from '../../db/queries/wallets';
import { requireEnv } from '../auth';
import { sendJson } from '../json';
import { money } from '../../wire/money';
import { presentMovement } from '../../wire/present';
import { cursor, id, pageLimit, userId } from '../schemas';
import { endpoint } from '../validate';
import { MovementSchema, registerRoute, WalletSchema } from '../openapi';

/** An ISO 8601 timestamp with a time zone (2025-01-31T12:00:00Z), or a Unix time in seconds. */
export const timestamp = z
  .string({ error: 'must be an ISO 8601 timestamp or Unix seconds' })
  .max(40, 'is too long')
  .transform((raw, ctx) => {
    // A query string decodes an unescaped '+' of "+02:00" as a space: put it back.
    const text = raw.replace(/ (\d{2}:?\d{2})$/, '+$1');
    const date = /^[0-9]{1,11}$/.test(text)
      ? new Date(Number(text) * 1000)
      : /^\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:?\d{2}))?$/.test(text)
        ? new Date(text)
        : new Date(NaN);
    if (Number.isNaN(date.getTime())) {
      ctx.addIssue({ code: 'custom', message: 'must be an ISO 8601 timestamp with a time zone (e.g. 2025-01-31T12:00:00Z) or Unix seconds' });
      return z.NEVER;
    }
    return date;
  })
  .openapi({ type: 'string', example: '2026-01-31T12:00:00Z', description: 'ISO 8601 with a time zone, or Unix seconds' });

const WalletParams = z.object({ wallet_id: id });
const TransactionsQuery = z.object({ env_id: id, user_id: userId.optional(), limit: pageLimit, cursor, from: timestamp.optional(), to: timestamp.optional() });
const BalanceQuery = z.object({ env_id: id, user_id: userId.optional(), at: timestamp.optional() });

registerRoute({
  method: 'get', path: '/wallet/:wallet_id/transactions', tags: ['history'], summary: "A wallet's ledger movements, newest first",
  description: '`from` is inclusive, `to` exclusive. With `user_id`, the wallet must belong to that user.',
  request: { params: WalletParams, query: TransactionsQuery },
  responses: {
    200: {
      description: 'One page; pass next_cursor as cursor for the next',
      schema: z.object({ transactions: z.array(MovementSchema), next_cursor: z.string().nullable() }),
      example: {
        transactions: [
          { id: '2', posting_id: '4', type: 'payment', amount: -100.0, balance_after: 1000.0, fee: 0, currency: 'USD', reference: null, created_at: '2026-01-01T00:05:00.000Z' },
          { id: '1', posting_id: '2', type: 'topup', amount: 1100.0, balance_after: 1100.0, fee: 0, currency: 'USD', reference: null, created_at: '2026-01-01T00:00:00.000Z' },
        ],
        next_cursor: null,
      },
    },
  },
});
registerRoute({
  method: 'get', path: '/wallet/:wallet_id/balance', tags: ['history'], summary: "A wallet's balance, now or at an instant",
  description: 'Without `at`: the current balance and what withdrawals in flight hold. With `at`: the ledger balance at that instant (no `held`).',
  request: { params: WalletParams, query: BalanceQuery },
  responses: {
    200: {
      description: 'The balance',
      schema: z.object({
        wallet_id: z.string(),
        balance: WalletSchema.shape.balance,
        held: WalletSchema.shape.held.optional().openapi({ description: 'Only without `at`: reserved by withdrawals in flight' }),
        currency: WalletSchema.shape.currency,
        at: z.string(),
      }),
      example: { wallet_id: '123', balance: 1000.0, held: 0, currency: 'USD', at: '2026-01-31T12:00:00.000Z' },
    },
  },
});

export async function walletOf(pool: Pool, envId: string, walletId: string, user: string | undefined): Promise<Wallet> {
  const wallet = await findWallet(pool, envId, walletId, user);
  if (!wallet) throw new DomainError('not_found', `wallet ${walletId} not found`, { wallet_id: walletId });
  return wallet;
}

export function historyRoutes(pool: Pool): Router {
  const router = Router();

  router.get(
    '/wallet/:wallet_id/transactions',
    ...endpoint(
      { params: WalletParams, query: TransactionsQuery },
      async ({ params, query }, _req, res) => {
        const envId = requireEnv(res, query.env_id);
        const wallet = await walletOf(pool, envId, params.wallet_id, query.user_id);
        const rows = await listWalletMovements(pool, {
          walletId: wallet.id,
          limit: query.limit + 1,
          beforePostingId: query.cursor ?? null,
          from: query.from ?? null,
          to: query.to ?? null,
        });
        const page = rows.slice(0, query.limit);
        const nextCursor = rows.length > query.limit ? page[page.length - 1]!.postingId : null;
        sendJson(res, 200, { transactions: page.map((m) => presentMovement(m, wallet.currency)), next_cursor: nextCursor });
      },
    ),
  );

  router.get(
    '/wallet/:wallet_id/balance',
    ...endpoint(
      { params: WalletParams, query: BalanceQuery },
      async ({ params, query }, _req, res) => {
        const envId = requireEnv(res, query.env_id);
        const wallet = await walletOf(pool, envId, params.wallet_id, query.user_id);
        if (!query.at) {
          sendJson(res, 200, { wallet_id: wallet.id, balance: money(wallet.balance, wallet.currency), held: money(wallet.held, wallet.currency), currency: wallet.currency, at: new Date().toISOString() });
          return;
        }
        const balance = await balanceAt(pool, wallet.id, query.at);
        sendJson(res, 200, { wallet_id: wallet.id, balance: money(balance, wallet.currency), currency: wallet.currency, at: query.at.toISOString() });
      },
    ),
  );

  return router;
}
