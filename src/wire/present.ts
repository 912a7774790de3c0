/**
 * Domain objects → wire shapes (snake_case, ids as strings, money as exact JSON numbers).
 * Shared by the API's answers and the merchant webhook payloads the activities write.
 */
import type { Currency } from '../domain/money';
import type { Order, Refund, Transfer, Wallet } from '../domain/types';
import type { WalletMovement } from '../db/queries/history';
import type { WebhookEndpoint } from '../db/queries/webhook-endpoints';
import { money } from './money';
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

export function presentTransfer(t: Transfer) {
  return {
    id: t.id,
    env_id: t.envId,
    from_wallet_id: t.fromWalletId,
    to_wallet_id: t.toWalletId,
    amount: money(t.amount, t.currency),
    currency: t.currency,
    reference: t.reference,
  };
}

export function presentRefund(r: Refund) {
  return { id: r.id, order_id: r.orderId, amount: money(r.amount, r.currency), currency: r.currency };
}

/** A ledger movement of one wallet; amount is signed (negative: money left the wallet). */
export function presentMovement(m: WalletMovement, currency: Currency) {
  return {
    id: m.transactionId,
    posting_id: m.postingId,
    type: m.type,
    amount: money(m.amount, currency),
    balance_after: money(m.balanceAfter, currency),
    currency,
    reference: m.reference,
    created_at: m.createdAt,
  };
}

export function presentWebhookEndpoint(e: WebhookEndpoint) {
  return { id: e.id, env_id: e.envId, url: e.url, event_types: e.eventTypes, status: e.status, created_at: e.createdAt };
}
