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
import type { Schedule, ScheduleRun } from '../domain/schedules';
import type { Batch, BatchItem } from '../db/queries/batches';
import type { PaymentResult, TopupResult, TransferResult } from '../domain/types';
import type { CardTopup, CardTopupEvent } from '../domain/card-topups';

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
    fee: money(w.fee, w.currency),
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
    captured_amount: money(o.capturedAmount, o.currency),
    refunded_amount: money(o.refundedAmount, o.currency),
    currency: o.currency,
    status: o.status,
    transaction_id: o.transactionId,
    failure_code: o.failureCode,
    expires_at: o.expiresAt,
    void_reason: o.voidReason,
    created_at: o.createdAt,
    fee: money(o.fee, o.currency),
    splits: o.splits.map((s) => ({ wallet_id: s.walletId, amount: money(s.amount, o.currency), fee: money(s.fee, o.currency) })),
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
    fee: money(t.fee, t.currency),
  };
}

export function presentRefund(r: Refund) {
  return {
    id: r.id,
    order_id: r.orderId,
    amount: money(r.amount, r.currency),
    currency: r.currency,
    from_revenue: r.fromRevenue,
    splits: r.splits.map((s) => ({ wallet_id: s.walletId, amount: money(s.amount, r.currency) })),
  };
}

/** A ledger movement of one wallet; amount is signed (negative: money left the wallet). */
export function presentMovement(m: WalletMovement, currency: Currency) {
  return {
    id: m.transactionId,
    posting_id: m.postingId,
    type: m.type,
    amount: money(m.amount, currency),
    balance_after: money(m.balanceAfter, currency),
    fee: money(m.fee, currency),
    currency,
    reference: m.reference,
    created_at: m.createdAt,
  };
}

export function presentWebhookEndpoint(e: WebhookEndpoint) {
  return { id: e.id, env_id: e.envId, url: e.url, event_types: e.eventTypes, status: e.status, created_at: e.createdAt };
}

/** `every` as the client wrote it back: whole days, hours or minutes when exact, else seconds. */
export function presentEvery(seconds: number | null): string | null {
  if (seconds === null) return null;
  if (seconds % 86_400 === 0) return `${seconds / 86_400}d`;
  if (seconds % 3600 === 0) return `${seconds / 3600}h`;
  if (seconds % 60 === 0) return `${seconds / 60}m`;
  return `${seconds}s`;
}

export function presentSchedule(s: Schedule, nextRunAt: string | null = null) {
  return {
    id: s.id,
    env_id: s.envId,
    wallet_id: s.walletId,
    user_id: s.userId,
    kind: s.kind,
    amount: money(s.amount, s.currency),
    currency: s.currency,
    product_id: s.productId,
    to_wallet_id: s.toWalletId,
    cron: s.cron,
    every: presentEvery(s.everySeconds),
    timezone: s.timezone,
    start_at: s.startAt,
    end_at: s.endAt,
    status: s.status,
    status_reason: s.statusReason,
    consecutive_failures: s.consecutiveFailures,
    next_run_at: s.status === 'active' ? nextRunAt : null,
    temporal_schedule_id: s.temporalScheduleId,
    created_at: s.createdAt,
    updated_at: s.updatedAt,
  };
}

export function presentScheduleRun(r: ScheduleRun) {
  return {
    scheduled_at: r.scheduledAt,
    outcome: r.outcome,
    movement_id: r.movementId,
    movement_workflow_id: r.movementWorkflowId,
    code: r.code,
    message: r.message,
    workflow_id: r.workflowId,
    finished_at: r.finishedAt,
  };
}

/** A card top-up; its client_secret only while it can still be paid. */
export function presentCardTopup(t: CardTopup) {
  return {
    id: t.id,
    env_id: t.envId,
    wallet_id: t.walletId,
    user_id: t.userId,
    method: 'card' as const,
    status: t.status,
    amount: money(t.amount, t.currency),
    currency: t.currency,
    payment_intent_id: t.paymentIntentId,
    client_secret: t.status === 'requires_payment' ? t.clientSecret : null,
    expires_at: t.expiresAt,
    transaction_id: t.creditTransactionId,
    available_at: t.availableAt,
    failure_code: t.failureCode,
    failure_message: t.failureMessage,
    attention_reason: t.attentionReason,
    created_at: t.createdAt,
    updated_at: t.updatedAt,
  };
}

export function presentCardTopupEvent(e: CardTopupEvent) {
  return { step: e.step, detail: e.detail, at: e.at };
}

export function presentBatch(b: Batch) {
  return {
    id: b.id,
    env_id: b.envId,
    atomic: b.atomic,
    status: b.status,
    item_count: b.itemCount,
    succeeded: b.succeeded,
    refused: b.refused,
    created_at: b.createdAt,
  };
}

/** An item's outcome: its single route's answer (without the legacy `wallets`), or its error. */
export function presentBatchItem(i: BatchItem) {
  const head = { index: i.index, type: i.type, status: i.status };
  if (i.status === 'refused') return { ...head, error: i.error };
  if (i.status === 'pending') return head;
  switch (i.type) {
    case 'topup': {
      const r = i.result as TopupResult;
      return { ...head, transaction_id: r.transactionId, wallet: presentWallet(r.wallet) };
    }
    case 'payment': {
      const r = i.result as PaymentResult;
      return { ...head, order: presentOrder(r.order), wallet: presentWallet(r.wallet) };
    }
    case 'transfer': {
      const r = i.result as TransferResult;
      return { ...head, transfer: presentTransfer(r.transfer), wallet: presentWallet(r.wallet) };
    }
  }
}
