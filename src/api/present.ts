/** Domain objects → wire shapes (snake_case, ids as strings, money as exact JSON numbers). */
import type { Order, Wallet } from '../domain/types';
import { money } from './json';

export function presentWallet(w: Wallet) {
  return {
    id: w.id,
    user_id: w.userId,
    env_id: w.envId,
    balance: money(w.balance, w.currency),
    held: money(w.held, w.currency),
    currency: w.currency,
    status: w.status,
    created_at: w.createdAt,
  };
}

export function presentOrder(o: Order) {
  return {
    id: o.id,
    env_id: o.envId,
    wallet_id: o.walletId,
    user_id: o.userId,
    product_id: o.productId,
    amount: money(o.amount, o.currency),
    refunded_amount: money(o.refundedAmount, o.currency),
    currency: o.currency,
    status: o.status,
    transaction_id: o.transactionId,
    failure_code: o.failureCode,
    created_at: o.createdAt,
  };
}
