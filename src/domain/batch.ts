/**
 * Batches (issue 12, part 4: POST /wallet/batch): the shapes the batch workflow and its
 * activities exchange, and `resolveBatchItem`, the checks the single routes make before
 * they start a workflow (wallet of the user, destination wallet, currency, amount
 * precision), made here on wallets the activity has already locked. Everything else
 * (status, funds, spend limits, the funding float) is postTransaction's, as for a
 * single movement. No I/O.
 */
import { DomainError } from './errors';
import { parseAmount } from './money';
import { requireOtherWallet, requireSameCurrency } from './transfers';
import type { PaymentInput, TopupInput, TransferInput, Wallet, WalletAmount } from './types';

/** The most items one batch may hold. */
export const BATCH_MAX_ITEMS = 1000;
/**
 * A non-atomic batch runs in activities of this many items each (one SQL transaction per
 * chunk): 1,000 items make 10 activities, not 1,000 (history stays a few dozen events).
 */
export const BATCH_CHUNK_SIZE = 100;

export const BATCH_ITEM_TYPES = ['topup', 'payment', 'transfer'] as const;
export type BatchItemType = (typeof BATCH_ITEM_TYPES)[number];

/** An item as the single route's schema parsed it (ids canonical, amount as the client's text). */
export type BatchItemRequest =
  | { type: 'topup'; user_id: string; wallet_id: string; amount: string }
  | { type: 'payment'; user_id: string; wallet_id: string; amount: string; product_id: string }
  | { type: 'transfer'; user_id: string; wallet_id: string; to_wallet_id: string; amount: string; reference?: string | null };

/** What an item's posting needs: the single workflow's activity input, with its idempotency ids. */
export type BatchMovement =
  | { type: 'topup'; input: TopupInput & { idempotencyId: string } }
  | { type: 'payment'; input: PaymentInput & { workflowId: string; idempotencyId: string } }
  | { type: 'transfer'; input: TransferInput & { idempotencyId: string } };

/** An item's refusal as the answer shows it. */
export interface BatchItemError {
  code: string;
  message: string;
  details: Record<string, unknown>;
}

/** The batch workflow's input: the items are in the batches table, not in the history. */
export interface BatchInput {
  batchId: string;
  atomic: boolean;
  itemCount: number;
}

/** The batch workflow's result (compact: the items' results are read from the table). */
export interface BatchSummary {
  batchId: string;
  status: 'completed';
  succeeded: number;
  refused: number;
}

/** A chunk of a non-atomic batch: items from ≤ idx < to. */
export interface BatchChunk {
  batchId: string;
  from: number;
  to: number;
}

/** Every wallet an item names (the activity locks them all, ascending, before any posting). */
export function batchItemWalletIds(item: BatchItemRequest): string[] {
  return item.type === 'transfer' ? [item.wallet_id, item.to_wallet_id] : [item.wallet_id];
}

/**
 * The single routes' checks for one item, in their order, against the environment's
 * wallets (`wallets`: id → wallet, only this environment's): a wallet that is not the
 * user's → not_found; a transfer to itself → invalid_request, to an unknown wallet →
 * not_found, to another currency → currency_mismatch; an amount with more decimals than
 * the currency has → invalid_request. `itemId` makes the item's idempotency ids
 * (`<batch workflow id>:item-<index>`), so a retried chunk posts nothing twice.
 */
export function resolveBatchItem(item: BatchItemRequest, envId: string, wallets: Map<string, Wallet>, itemId: string): BatchMovement {
  if (item.type === 'transfer') requireOtherWallet(item.wallet_id, item.to_wallet_id);
  const wallet = wallets.get(item.wallet_id);
  if (!wallet || wallet.userId !== item.user_id) {
    throw new DomainError('not_found', `wallet ${item.wallet_id} not found for user ${item.user_id}`, { wallet_id: item.wallet_id });
  }
  /** The item's amount on its wallet: parsed after the wallets are checked, as the single routes do. */
  const walletAmount = (): WalletAmount => ({ envId, walletId: wallet.id, amount: parseAmount(item.amount, wallet.currency).toString(), currency: wallet.currency });
  switch (item.type) {
    case 'topup':
      return { type: 'topup', input: { ...walletAmount(), idempotencyId: `${itemId}:topup` } };
    case 'payment':
      return {
        type: 'payment',
        input: { ...walletAmount(), userId: wallet.userId, productId: item.product_id, workflowId: itemId, idempotencyId: `${itemId}:charge` },
      };
    case 'transfer': {
      const to = wallets.get(item.to_wallet_id);
      if (!to) throw new DomainError('not_found', `wallet ${item.to_wallet_id} not found`, { wallet_id: item.to_wallet_id });
      requireSameCurrency(wallet, to);
      const { amount, currency } = walletAmount();
      return {
        type: 'transfer',
        input: { envId, fromWalletId: wallet.id, toWalletId: to.id, amount, currency, reference: item.reference ?? null, idempotencyId: `${itemId}:transfer` },
      };
    }
  }
}
