/** OpenAPI entries of routes/history.ts (registered by src/api/openapi.ts). */
import { z } from 'zod';
import { MovementSchema, registerRoute, WalletSchema } from './registry';
import { page } from './responses';
import { WalletParams, TransactionsQuery, BalanceQuery } from '../routes/history';

export function documentHistory(): void {
  registerRoute({
    method: 'get', path: '/wallet/:wallet_id/transactions', tags: ['history'], summary: "A wallet's ledger movements, newest first",
    description: '`from` is inclusive, `to` exclusive. With `user_id`, the wallet must belong to that user.',
    request: { params: WalletParams, query: TransactionsQuery },
    responses: {
      200: page('transactions', MovementSchema, [
        { id: '2', posting_id: '4', type: 'payment', amount: -100.0, balance_after: 1000.0, fee: 0, currency: 'USD', reference: null, created_at: '2026-01-01T00:05:00.000Z' },
        { id: '1', posting_id: '2', type: 'topup', amount: 1100.0, balance_after: 1100.0, fee: 0, currency: 'USD', reference: null, created_at: '2026-01-01T00:00:00.000Z' },
      ]),
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

}
