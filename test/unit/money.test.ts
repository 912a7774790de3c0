import fc from 'fast-check';
import { CURRENCIES, CURRENCY_EXPONENT, formatAmount, parseAmount, parseAmountOrZero, type Currency } from '../../src/domain/money';
import { DomainError } from '../../src/domain/errors';

const currency = fc.constantFrom(...CURRENCIES);
const minorUnits = fc.bigInt({ min: 1n, max: 10n ** 12n * 100n - 1n });

test('parse ∘ format is the identity on every positive amount', () => {
  fc.assert(
    fc.property(currency, minorUnits, (cur, minor) => {
      const bounded = minor % (10n ** BigInt(12 + CURRENCY_EXPONENT[cur])) || 1n;
      expect(parseAmount(formatAmount(bounded, cur), cur)).toBe(bounded);
    }),
    { numRuns: 2000 },
  );
});

test('format ∘ parse is the identity on canonical decimal text', () => {
  fc.assert(
    fc.property(fc.bigInt({ min: 1n, max: 999_999_999_999n }), fc.integer({ min: 0, max: 99 }), (whole, cents) => {
      const text = `${whole}.${String(cents).padStart(2, '0')}`;
      expect(formatAmount(parseAmount(text, 'USD'), 'USD')).toBe(text);
    }),
  );
});

test('nothing with a float error gets through: sums of JS doubles that are not exact are refused', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 10_000 }), fc.integer({ min: 1, max: 10_000 }), (a, b) => {
      const text = String(a / 100 + b / 100);
      const decimals = text.includes('.') ? text.split('.')[1]!.length : 0;
      if (decimals > 2 || /e/i.test(text)) {
        expect(() => parseAmount(text, 'USD')).toThrow(DomainError);
      } else {
        expect(parseAmount(text, 'USD')).toBe(BigInt(a + b));
      }
    }),
    { numRuns: 3000 },
  );
  expect(() => parseAmount(String(0.1 + 0.2), 'USD')).toThrow(/at most 2 decimal/);
});

test.each([
  ['0', 'USD'],
  ['0.00', 'USD'],
  ['-1', 'USD'],
  ['+1', 'USD'],
  ['1e3', 'USD'],
  ['1E3', 'USD'],
  ['NaN', 'USD'],
  ['Infinity', 'USD'],
  ['.5', 'USD'],
  ['5.', 'USD'],
  ['01.5', 'USD'],
  ['1.005', 'USD'],
  ['1.5', 'JPY'],
  ['1 000', 'USD'],
  ['0x10', 'USD'],
  ['', 'USD'],
  ['1000000000000', 'USD'],
  ['12.3456', 'KWD'],
])('refuses %s %s', (text, cur) => {
  expect(() => parseAmount(text, cur as Currency)).toThrow(DomainError);
});

test.each([
  ['1100.00', 'USD', 110000n],
  ['1100.0', 'USD', 110000n],
  ['12.12', 'USD', 1212n],
  ['100', 'USD', 10000n],
  ['0.01', 'USD', 1n],
  ['999999999999.99', 'USD', 99999999999999n],
  ['500', 'JPY', 500n],
  ['1.234', 'KWD', 1234n],
])('parses %s %s exactly', (text, cur, minor) => {
  expect(parseAmount(text, cur as Currency)).toBe(minor);
});

test('formats with exactly the currency decimals, including negatives and zero', () => {
  expect(formatAmount(0n, 'USD')).toBe('0.00');
  expect(formatAmount(5n, 'USD')).toBe('0.05');
  expect(formatAmount(-101212n, 'USD')).toBe('-1012.12');
  expect(formatAmount('500', 'JPY')).toBe('500');
  expect(formatAmount(1n, 'KWD')).toBe('0.001');
});

test('parseAmountOrZero: zero is a float or credit line of nothing; anything else as parseAmount', () => {
  expect(parseAmountOrZero('0', 'USD')).toBe(0n);
  expect(parseAmountOrZero('0.00', 'USD')).toBe(0n);
  expect(parseAmountOrZero('5000', 'USD')).toBe(500000n);
  expect(() => parseAmountOrZero('-1', 'USD')).toThrow(DomainError);
  expect(() => parseAmountOrZero('0.001', 'USD')).toThrow(DomainError);
});
