/** Fee arithmetic (src/domain/fees.ts): exact in minor units, the rounding rules README states. */
import fc from 'fast-check';
import { allocate, computeFee, formatPercent, parsePercent, refundShares, splitFees, type FeeRule } from '../../src/domain/fees';
import { DomainError } from '../../src/domain/errors';
import { capturedSplits } from '../../src/domain/splits';
import { captureLegs } from '../../src/activities/authorizations';

const rule = (percent: string, fixed = '0', min = '0', max: string | null = null): FeeRule => ({ percentE4: parsePercent(percent, 'percent'), fixed, min, max });

test('percent parses exactly and prints back without trailing zeros', () => {
  expect(parsePercent('1.5', 'p')).toBe(15000);
  expect(parsePercent('0', 'p')).toBe(0);
  expect(parsePercent('100', 'p')).toBe(1_000_000);
  expect(parsePercent('2.9999', 'p')).toBe(29999);
  for (const bad of ['-1', '1e2', '100.0001', '101', '1.23456', '', '.5', '01', 'abc']) {
    expect(() => parsePercent(bad, 'p')).toThrow(DomainError);
  }
  expect(formatPercent(15000)).toBe('1.5');
  expect(formatPercent(1_000_000)).toBe('100');
  expect(formatPercent(29999)).toBe('2.9999');
});

test('half-up on the minor unit, then fixed, then min and max', () => {
  expect(computeFee(1010n, rule('1.5', '25'))).toBe(40n); // 15.15 → 15, + 25
  expect(computeFee(1000n, rule('1.5'))).toBe(15n);
  expect(computeFee(100n, rule('0.5'))).toBe(1n); // 0.5 → 1 (half-up)
  expect(computeFee(99n, rule('0.5'))).toBe(0n); // 0.495 → 0
  expect(computeFee(10n, rule('1.5', '25', '50'))).toBe(50n);
  expect(computeFee(90000n, rule('1.5', '25', '25', '1000'))).toBe(1000n);
  expect(computeFee(123n, null)).toBe(0n);
  // Exactness far past 2^53.
  expect(computeFee(99_999_999_999_999n, rule('2.9999'))).toBe(2_999_900_000_000n);
});

test('allocate: exact sum, shares never above their weight, largest remainders get the leftovers', () => {
  expect(allocate(320n, [6000n, 3000n])).toEqual([213n, 107n]);
  expect(allocate(2n, [1n, 1n, 1n])).toEqual([1n, 1n, 0n]);
  fc.assert(
    fc.property(fc.array(fc.bigInt({ min: 1n, max: 10n ** 12n }), { minLength: 1, maxLength: 10 }), fc.bigInt({ min: 0n, max: 10n ** 13n }), (weights, t) => {
      const sum = weights.reduce((s, w) => s + w, 0n);
      const total = t % (sum + 1n);
      const shares = allocate(total, weights);
      expect(shares.reduce((s, x) => s + x, 0n)).toBe(total);
      shares.forEach((x, i) => {
        expect(x >= 0n && x <= weights[i]!).toBe(true);
      });
    }),
  );
});

test('a fee over the sellers is refused; without splits it comes from revenue', () => {
  expect(() => splitFees(10000n, 320n, [{ walletId: '1', amount: '100' }])).toThrow(/more than the sellers/);
  expect(splitFees(10000n, 320n, [])).toEqual([]);
});

test('refund shares: partial refunds add up exactly to the full reversal of what each seller kept', () => {
  fc.assert(
    fc.property(
      fc.bigInt({ min: 1n, max: 10n ** 9n }),
      fc.array(fc.bigInt({ min: 1n, max: 10n ** 6n }), { minLength: 1, maxLength: 5 }),
      fc.array(fc.bigInt({ min: 1n, max: 10n ** 9n }), { minLength: 1, maxLength: 6 }),
      (total, kept, cuts) => {
        const parts = kept.map((k, i) => ({ walletId: String(i), amount: ((k % total) + 1n).toString(), fee: '0' }));
        const sum = parts.reduce((s, p) => s + BigInt(p.amount), 0n);
        fc.pre(sum <= total);
        let refunded = 0n;
        const given = parts.map(() => 0n);
        for (const c of [...cuts.map((x) => x % (total + 1n)), total]) {
          const amount = c > total - refunded ? total - refunded : c;
          if (amount === 0n) continue;
          const shares = refundShares(total, refunded, amount, parts);
          shares.forEach((x, i) => (given[i]! += x));
          refunded += amount;
          // One refund's shares may pass its amount by a few units (revenue took the earlier
          // rounding), but the sellers never give back more, in total, than was refunded so far.
          expect(given.reduce((s, x) => s + x, 0n) <= refunded).toBe(true);
        }
        expect(given).toEqual(parts.map((p) => BigInt(p.amount)));
      },
    ),
  );
});

test('a capture of c out of x: each part scaled by c/x rounded down, legs sum to zero, revenue keeps the remainder', () => {
  expect(capturedSplits(10000n, 7777n, [{ walletId: '1', amount: '3333' }, { walletId: '2', amount: '3334' }])).toEqual([
    { walletId: '1', amount: '2592' },
    { walletId: '2', amount: '2592' },
  ]);
  fc.assert(
    fc.property(fc.array(fc.bigInt({ min: 1n, max: 10n ** 9n }), { minLength: 1, maxLength: 5 }), fc.bigInt({ min: 0n, max: 10n ** 9n }), fc.bigInt({ min: 1n, max: 10n ** 4n }), (parts, extra, ratio) => {
      const authorized = parts.reduce((s, p) => s + p, 0n) + extra;
      const captured = (authorized * ratio) / 10n ** 4n || 1n;
      const scaled = capturedSplits(authorized, captured, parts.map((p, i) => ({ walletId: String(i + 1), amount: p.toString() })));
      const total = scaled.reduce((s, p) => s + BigInt(p.amount), 0n);
      expect(total).toBeLessThanOrEqual(captured);
      scaled.forEach((p, i) => expect(BigInt(p.amount)).toBeLessThanOrEqual(parts[i]!));
      const fee = total / 10n;
      const legs = captureLegs(captured, fee, splitFees(captured, fee, scaled));
      expect(legs.reduce((s, l) => s + l.amount, 0n)).toBe(0n);
      expect(legs.find((l) => l.account === 'in_flight')!.amount).toBe(-captured);
      expect(legs.every((l) => l.amount !== 0n || l.account === 'in_flight')).toBe(true);
    }),
  );
});
