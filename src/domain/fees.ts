/**
 * Platform fees and marketplace splits: exact arithmetic in minor units (bigint), no I/O.
 *
 * Fee of an amount under a rule (README, "Splits and fees"):
 *   1. percent part = amount × percent / 100, rounded half-up to the minor unit
 *      (percent is an exact decimal with at most 4 decimals, held as percent × 10^4);
 *   2. + fixed;
 *   3. clamped: at least `min`, at most `max` (when set).
 *
 * Proportional shares (a payment's fee over its splits, a refund over the sellers) round
 * DOWN per share; the remainder goes to the platform's side (revenue), see each function.
 */
import { DomainError } from './errors';

/** One kind's fee rule. Amounts are minor units as strings (they cross Temporal and SQL). */
export interface FeeRule {
  /** percent × 10^4: "1.5" → 15000; 0..1000000 (0 % to 100 %). */
  percentE4: number;
  fixed: string;
  min: string;
  /** null: no cap. */
  max: string | null;
}

/** A schedule holds one rule (or none) for each kind of movement that may carry a fee. */
export const FEE_KINDS = ['transfer', 'withdraw', 'payment'] as const;
export type FeeKind = (typeof FEE_KINDS)[number];
export type FeeSchedule = Record<FeeKind, FeeRule | null>;

const PERCENT_TEXT = /^(0|[1-9][0-9]{0,2})(\.[0-9]{1,4})?$/;

/** "1.5" → 15000. Refuses anything but a plain decimal from 0 to 100 with at most 4 decimals. */
export function parsePercent(text: string, field: string): number {
  const m = PERCENT_TEXT.exec(text);
  if (!m) {
    throw new DomainError('invalid_request', `${field} must be a decimal string from "0" to "100" with at most 4 decimals, such as "1.5"`, { field });
  }
  const value = Number(m[1]) * 10_000 + Number(((m[2] ?? '').slice(1) || '0').padEnd(4, '0'));
  if (value > 1_000_000) throw new DomainError('invalid_request', `${field} must be at most "100"`, { field });
  return value;
}

/** 15000 → "1.5" (no trailing zeros). */
export function formatPercent(percentE4: number): string {
  const whole = Math.floor(percentE4 / 10_000);
  const fraction = String(percentE4 % 10_000).padStart(4, '0').replace(/0+$/, '');
  return fraction ? `${whole}.${fraction}` : String(whole);
}

/** The fee of `amount` (minor units) under `rule`; 0 without a rule. */
export function computeFee(amount: bigint, rule: FeeRule | null): bigint {
  if (!rule) return 0n;
  const denominator = 1_000_000n; // 100 % × 10^4
  const raw = amount * BigInt(rule.percentE4);
  // Half-up on the minor unit: floor((2·raw + d) / 2d).
  let fee = (2n * raw + denominator) / (2n * denominator) + BigInt(rule.fixed);
  if (fee < BigInt(rule.min)) fee = BigInt(rule.min);
  if (rule.max !== null && fee > BigInt(rule.max)) fee = BigInt(rule.max);
  return fee;
}

/**
 * Splits `total` over `weights` in proportion, exactly: each share is floor(total × w / Σw),
 * and the units left over go one each to the largest remainders (ties: the earlier
 * weight). Σ shares = total; a share never exceeds its weight when total ≤ Σ weights.
 */
export function allocate(total: bigint, weights: bigint[]): bigint[] {
  const sum = weights.reduce((s, w) => s + w, 0n);
  if (sum === 0n) return weights.map(() => 0n);
  const shares = weights.map((w) => (total * w) / sum);
  let left = total - shares.reduce((s, x) => s + x, 0n);
  const order = weights
    .map((w, i) => ({ i, rem: (total * w) % sum }))
    .sort((a, b) => (a.rem === b.rem ? a.i - b.i : a.rem > b.rem ? -1 : 1));
  for (const { i } of order) {
    if (left === 0n) break;
    shares[i]! += 1n;
    left -= 1n;
  }
  return shares;
}

/** A payment's split as the order keeps it: the seller's part and the fee taken from it. */
export interface SplitPart {
  walletId: string;
  amount: string;
  fee: string;
}

/**
 * A payment's fee over its splits: the fee (computed on the payment's amount) is taken
 * from the sellers in proportion to their parts (`allocate`). Without splits the fee is
 * taken from revenue. Refused when the fee is more than the sellers' parts together.
 */
export function splitFees(amount: bigint, fee: bigint, splits: { walletId: string; amount: string }[]): SplitPart[] {
  if (!splits.length) {
    if (fee > amount) {
      throw new DomainError('invalid_request', `the payment's fee (${fee} minor units) is more than its amount`, { fee_minor: fee.toString() });
    }
    return [];
  }
  const parts = splits.map((s) => BigInt(s.amount));
  const sellers = parts.reduce((s, x) => s + x, 0n);
  if (fee > sellers) {
    throw new DomainError('invalid_request', `the payment's fee (${fee} minor units) is more than the sellers' splits (${sellers})`, {
      field: 'splits',
      fee_minor: fee.toString(),
      splits_minor: sellers.toString(),
    });
  }
  const fees = allocate(fee, parts);
  return splits.map((s, i) => ({ walletId: s.walletId, amount: s.amount, fee: fees[i]!.toString() }));
}

/**
 * What a refund takes back from each seller: in proportion to what the seller kept
 * (its part − its fee), cumulatively so that partial refunds add up exactly to a full
 * one: share_i = floor(net_i × (refunded + amount) / total) − floor(net_i × refunded / total).
 * Rounding down: the remainder of the refund comes from revenue. Cumulatively the sellers
 * never give back more than was refunded; one refund's shares may pass its amount by less
 * than one unit per seller (revenue then takes back what it gave for an earlier rounding).
 */
export function refundShares(total: bigint, refundedBefore: bigint, amount: bigint, splits: SplitPart[]): bigint[] {
  return splits.map((s) => {
    const net = BigInt(s.amount) - BigInt(s.fee);
    return (net * (refundedBefore + amount)) / total - (net * refundedBefore) / total;
  });
}
