/**
 * Marketplace splits: the legs of a split payment and of its refunds, and the checks on a
 * payment's splits. No I/O; amounts in minor units (bigint). Every builder leaves out
 * zero legs (the posting function refuses them) and its legs sum to zero.
 */
import { DomainError } from './errors';
import type { SplitPart } from './fees';
import type { PaymentSplit, Wallet } from './types';

/** A leg as src/db/ledger.ts takes it (wallet, or a system account). */
export type SplitLeg = { account: 'wallet'; walletId: string; amount: bigint } | { account: 'revenue' | 'fees'; amount: bigint };

/** At most this many splits per payment. */
export const MAX_SPLITS = 50;

/**
 * A payment's splits must each name another wallet than the payer's, each once, and
 * together be at most the payment's amount (what is left goes to revenue).
 */
export function checkSplits(amount: bigint, payerWalletId: string, splits: PaymentSplit[]): void {
  if (splits.length > MAX_SPLITS) throw new DomainError('invalid_request', `splits: at most ${MAX_SPLITS} parts`, { field: 'splits' });
  const seen = new Set<string>();
  let total = 0n;
  splits.forEach((s, i) => {
    const field = `splits.${i}.wallet_id`;
    if (s.walletId === payerWalletId) throw new DomainError('invalid_request', `${field}: a split cannot go to the paying wallet`, { field });
    if (seen.has(s.walletId)) throw new DomainError('invalid_request', `${field}: wallet ${s.walletId} appears twice`, { field });
    seen.add(s.walletId);
    total += BigInt(s.amount);
  });
  if (total > amount) {
    throw new DomainError('invalid_request', `splits add up to more than the payment's amount`, {
      field: 'splits',
      splits_minor: total.toString(),
      amount_minor: amount.toString(),
    });
  }
}

/**
 * payer −amount; each seller + (its part − its fee); fees + fee; revenue + the rest
 * (amount − the parts, and − the fee when there are no splits: the fee then comes from revenue).
 */
export function paymentLegs(payerWalletId: string, amount: bigint, fee: bigint, parts: SplitPart[]): SplitLeg[] {
  const payer: SplitLeg = { account: 'wallet', walletId: payerWalletId, amount: -amount };
  return [payer, ...creditLegs(amount, fee, parts)].filter((l) => l.amount !== 0n);
}

/**
 * Where a payment's `amount` goes (the debit is the caller's: the payer's wallet, or
 * in_flight for a capture): each seller + (its part − its fee); fees + fee; revenue + the
 * rest. Zero legs left out.
 */
export function creditLegs(amount: bigint, fee: bigint, parts: SplitPart[]): SplitLeg[] {
  const sellers = parts.reduce((s, p) => s + BigInt(p.amount), 0n);
  const revenue = amount - sellers - (parts.length ? 0n : fee);
  const legs: SplitLeg[] = [];
  for (const p of parts) legs.push({ account: 'wallet', walletId: p.walletId, amount: BigInt(p.amount) - BigInt(p.fee) });
  legs.push({ account: 'revenue', amount: revenue }, { account: 'fees', amount: fee });
  return legs.filter((l) => l.amount !== 0n);
}

/** payer + amount; each seller − its share; revenue − the rest. */
export function refundLegs(payerWalletId: string, amount: bigint, takenBack: PaymentSplit[]): SplitLeg[] {
  const sellers = takenBack.reduce((s, p) => s + BigInt(p.amount), 0n);
  const legs: SplitLeg[] = [{ account: 'revenue', amount: -(amount - sellers) }];
  for (const p of takenBack) legs.push({ account: 'wallet', walletId: p.walletId, amount: -BigInt(p.amount) });
  legs.push({ account: 'wallet', walletId: payerWalletId, amount });
  return legs.filter((l) => l.amount !== 0n);
}

/** A refusal about a seller's wallet (not active, unknown, other currency) says it is a split's, and which. */
export function namingSeller(err: unknown, parts: { walletId: string }[]): unknown {
  if (!(err instanceof DomainError)) return err;
  const walletId = err.details.wallet_id;
  const index = parts.findIndex((p) => p.walletId === walletId);
  if (index < 0 || !['wallet_not_active', 'not_found', 'currency_mismatch'].includes(err.code)) return err;
  return new DomainError(err.code, `seller ${err.message} (splits.${index})`, { ...err.details, field: `splits.${index}.wallet_id` });
}

/**
 * The parts of an authorization's splits that a capture of `captured` out of `authorized`
 * pays: each part × captured / authorized, rounded DOWN to the minor unit (revenue keeps
 * the units left over). A full capture pays the parts as authorized. Parts that round to
 * 0 stay in the list (amount "0"): positions match the order's splits.
 */
export function capturedSplits(authorized: bigint, captured: bigint, splits: PaymentSplit[]): PaymentSplit[] {
  return splits.map((s) => ({ walletId: s.walletId, amount: ((BigInt(s.amount) * captured) / authorized).toString() }));
}

/**
 * The sellers' wallets of a payment's splits must exist in the environment, hold the
 * payer's currency and be active; the refusal names the split (`splits.<i>.wallet_id`).
 * `wallets`: the sellers as read (under their locks in the activities).
 */
export function assertSellers(currency: string, splits: { walletId: string }[], wallets: Wallet[]): void {
  const byId = new Map(wallets.map((w) => [w.id, w]));
  splits.forEach((s, i) => {
    const field = `splits.${i}.wallet_id`;
    const seller = byId.get(s.walletId);
    if (!seller) throw new DomainError('not_found', `seller wallet ${s.walletId} not found (${field})`, { wallet_id: s.walletId, field });
    if (seller.currency !== currency) {
      throw new DomainError('currency_mismatch', `seller wallet ${s.walletId} holds ${seller.currency}, not ${currency} (${field})`, {
        wallet_id: s.walletId,
        wallet_currency: seller.currency,
        currency,
        field,
      });
    }
    if (seller.status !== 'active') {
      throw new DomainError('wallet_not_active', `seller wallet ${s.walletId} is ${seller.status} (${field})`, { wallet_id: s.walletId, status: seller.status, field });
    }
  });
}

/**
 * What each seller of a completed order was paid from: its captured part (capturedSplits
 * of the order's authorized amount and captured_amount; the part itself for a payment
 * captured at once) and its fee share. The base of a refund's shares (domain/fees.ts refundShares).
 */
export function keptSplits(order: { amount: string; capturedAmount: string; splits: SplitPart[] }): SplitPart[] {
  const parts = capturedSplits(BigInt(order.amount), BigInt(order.capturedAmount), order.splits);
  return order.splits.map((s, i) => ({ walletId: s.walletId, amount: parts[i]!.amount, fee: s.fee }));
}
