/**
 * Reads from the ledger: a wallet's movements (newest first, keyset-paginated on the
 * posting id) and its balance at an instant. Reads never go through Temporal.
 */
import { Router } from 'express';
import { requireWallet } from '../../services/wallets';
import { z } from 'zod';
import type { Pool } from '../../db/pool';
import { balanceAt, listWalletMovements } from '../../db/queries/history';
import { envEndpoint } from '../env-endpoint';
import { keysetPage } from '../pagination';
import { money } from '../../wire/money';
import { presentMovement } from '../../wire/present';
import { cursor, id, pageLimit, userId } from '../schemas';

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

export const WalletParams = z.object({ wallet_id: id });
export const TransactionsQuery = z.object({ env_id: id, user_id: userId.optional(), limit: pageLimit, cursor, from: timestamp.optional(), to: timestamp.optional() });
export const BalanceQuery = z.object({ env_id: id, user_id: userId.optional(), at: timestamp.optional() });

export function historyRoutes(pool: Pool): Router {
  const router = Router();

  router.get(
    '/wallet/:wallet_id/transactions',
    ...envEndpoint({ params: WalletParams, query: TransactionsQuery }, 'query', async ({ params, query }, envId) => {
      const wallet = await requireWallet(pool, envId, params.wallet_id, query.user_id);
      const { page, nextCursor } = await keysetPage(
        query,
        (limit, before) => listWalletMovements(pool, { walletId: wallet.id, limit, beforePostingId: before, from: query.from ?? null, to: query.to ?? null }),
        (m) => m.postingId,
      );
      return { transactions: page.map((m) => presentMovement(m, wallet.currency)), next_cursor: nextCursor };
    }),
  );

  router.get(
    '/wallet/:wallet_id/balance',
    ...envEndpoint({ params: WalletParams, query: BalanceQuery }, 'query', async ({ params, query }, envId) => {
      const wallet = await requireWallet(pool, envId, params.wallet_id, query.user_id);
      if (!query.at) {
        return { wallet_id: wallet.id, balance: money(wallet.balance, wallet.currency), held: money(wallet.held, wallet.currency), currency: wallet.currency, at: new Date().toISOString() };
      }
      const balance = await balanceAt(pool, wallet.id, query.at);
      return { wallet_id: wallet.id, balance: money(balance, wallet.currency), currency: wallet.currency, at: query.at.toISOString() };
    }),
  );

  return router;
}
