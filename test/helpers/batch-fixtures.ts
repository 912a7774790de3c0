/**
 * Fixtures for the workflow tests with mocked activities (payment, paymentBatch,
 * walletPayments): the wallets and completed orders their mocks answer with.
 */
import type { BatchPayment } from '../../src/activities/topup-payment';
import type { Order, Wallet } from '../../src/domain/types';

export const walletOf = (id: string): Wallet => ({
  id,
  envId: '1000',
  userId: 'u1',
  currency: 'USD',
  status: 'active',
  balance: '900',
  held: '0',
  createdAt: '2026-01-01T00:00:00.000Z',
});

/** The i-th payment of a batch as payOrders completes it (order and ledger ids from i). */
export const completedOrder = (p: BatchPayment, i: number): Order => ({
  id: String(500000000 + i),
  envId: p.envId,
  walletId: p.walletId,
  userId: p.userId,
  productId: p.productId,
  amount: p.amount,
  capturedAmount: p.amount,
  refundedAmount: '0',
  currency: 'USD',
  status: 'completed',
  transactionId: String(77 + i),
  failureCode: null,
  expiresAt: null,
  voidReason: null,
  createdAt: '2026-01-01T00:00:00.000Z',
  fee: '0',
  splits: [],
});
