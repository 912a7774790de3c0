/**
 * A payment's splits as the API receives them → the workflow's input: amounts parsed
 * exactly in the payer's currency, the splits' shape checked (domain/splits.ts), and the
 * sellers' wallets looked up once so that an unknown, foreign-currency or inactive seller
 * is refused before any workflow starts. The payment's activity checks it all again
 * under the wallets' locks.
 */
import { DomainError } from '../domain/errors';
import { parseAmount } from '../domain/money';
import { checkSplits } from '../domain/splits';
import type { PaymentSplit, Wallet } from '../domain/types';
import type { Pool } from '../db/pool';
import { getWallets } from '../db/queries/wallets';

export async function resolveSplits(
  pool: Pool,
  payer: Wallet,
  amount: bigint,
  splits: { wallet_id: string; amount: string }[] | undefined,
): Promise<PaymentSplit[] | undefined> {
  if (!splits?.length) return undefined;
  const parsed = splits.map((s, i) => ({ walletId: s.wallet_id, amount: parseAmount(s.amount, payer.currency, `splits.${i}.amount`).toString() }));
  checkSplits(amount, payer.id, parsed);
  const wallets = new Map((await getWallets(pool, payer.envId, parsed.map((s) => s.walletId))).map((w) => [w.id, w]));
  parsed.forEach((s, i) => {
    const field = `splits.${i}.wallet_id`;
    const seller = wallets.get(s.walletId);
    if (!seller) throw new DomainError('not_found', `seller wallet ${s.walletId} not found (${field})`, { wallet_id: s.walletId, field });
    if (seller.currency !== payer.currency) {
      throw new DomainError('currency_mismatch', `seller wallet ${s.walletId} holds ${seller.currency}, not ${payer.currency} (${field})`, {
        wallet_id: s.walletId,
        wallet_currency: seller.currency,
        currency: payer.currency,
        field,
      });
    }
    if (seller.status !== 'active') {
      throw new DomainError('wallet_not_active', `seller wallet ${s.walletId} is ${seller.status} (${field})`, { wallet_id: s.walletId, status: seller.status, field });
    }
  });
  return parsed;
}
