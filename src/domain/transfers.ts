/**
 * A transfer's own checks on its two wallets, made alike by POST /wallet/transfer
 * (src/services/movements.ts) and a batch's transfer items (src/domain/batch.ts), so an
 * item is refused with the same code, message and details as the single request. Each
 * caller runs them in the same order: to itself first (before any lookup), then, once
 * both wallets are found, their currencies. No I/O.
 */
import { DomainError } from './errors';
import type { Wallet } from './types';

/** A transfer names two different wallets. */
export function requireOtherWallet(walletId: string, toWalletId: string): void {
  if (walletId === toWalletId) {
    throw new DomainError('invalid_request', 'to_wallet_id must be another wallet than wallet_id', { field: 'to_wallet_id' });
  }
}

/** Money moves only between wallets of one currency. */
export function requireSameCurrency(from: Pick<Wallet, 'currency'>, to: Pick<Wallet, 'id' | 'currency'>): void {
  if (to.currency !== from.currency) {
    throw new DomainError('currency_mismatch', `wallet ${to.id} holds ${to.currency}, not ${from.currency}`, {
      wallet_id: to.id,
      wallet_currency: to.currency,
      currency: from.currency,
    });
  }
}
