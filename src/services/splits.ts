/**
 * A payment's splits as the API receives them → the workflow's input: amounts parsed
 * exactly in the payer's currency, the splits' shape checked (domain/splits.ts), and the
 * sellers' wallets looked up once so that an unknown, foreign-currency or inactive seller
 * is refused before any workflow starts. The payment's activity checks it all again
 * under the wallets' locks.
 */
import { parseAmount } from '../domain/money';
import { assertSellers, checkSplits } from '../domain/splits';
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
  assertSellers(payer.currency, parsed, await getWallets(pool, payer.envId, parsed.map((s) => s.walletId)));
  return parsed;
}
