/** Domain objects → wire shapes (snake_case, ids as strings, money as exact JSON numbers). */
import type { Order, Wallet } from '../domain/types';
import { money } from './json';
import type { Withdrawal, WithdrawalEvent } from '../domain/withdrawals';

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

export function presentWithdrawal(w: Withdrawal) {
  return {
    id: w.id,
    env_id: w.envId,
    wallet_id: w.walletId,
    user_id: w.userId,
    amount: money(w.amount, w.currency),
    currency: w.currency,
    status: w.status,
    stripe_account_id: w.stripeAccountId,
    stripe_transfer_id: w.stripeTransferId,
    stripe_payout_id: w.stripePayoutId,
    failure_code: w.failureCode,
    failure_message: w.failureMessage,
    created_at: w.createdAt,
    updated_at: w.updatedAt,
  };
}

export function presentWithdrawalEvent(e: WithdrawalEvent) {
  return { seq: e.seq, step: e.step, detail: e.detail, at: e.at };
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
