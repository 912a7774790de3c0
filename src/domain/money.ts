/**
 * Money is an integer count of the currency's minor unit (cents for USD). It is a
 * bigint inside a process and a string of digits between processes (workflow inputs,
 * activity results, SQL `bigint`), because JSON numbers lose digits past 2^53 and
 * floats cannot hold 0.1. Parsing works on the decimal *text* the client sent: no
 * float ever touches an amount.
 */
import { DomainError } from './errors';

/** ISO 4217 currencies we accept, with their minor-unit exponent. */
export const CURRENCY_EXPONENT = {
  USD: 2,
  EUR: 2,
  GBP: 2,
  CAD: 2,
  AUD: 2,
  CHF: 2,
  JPY: 0,
  KRW: 0,
  KWD: 3,
} as const;
export type Currency = keyof typeof CURRENCY_EXPONENT;
export const CURRENCIES = Object.keys(CURRENCY_EXPONENT) as Currency[];
export const DEFAULT_CURRENCY: Currency = 'USD';

export function isCurrency(value: string): value is Currency {
  return Object.prototype.hasOwnProperty.call(CURRENCY_EXPONENT, value);
}

/** Largest amount one request may move, in major units: 10^12 - 1 (a trillion). */
export const MAX_MAJOR_DIGITS = 12;

/** Plain decimal notation only: no sign, no exponent, no leading zeros, no bare dot. */
const DECIMAL_TEXT = /^(0|[1-9][0-9]*)(\.[0-9]+)?$/;

/**
 * Parses a positive decimal amount in major units ("1100.00", "12.12", "100") into
 * minor units. Refuses zero, negatives, exponents, NaN/Infinity, more decimals than
 * the currency has, and amounts of more than 12 integer digits.
 */
export function parseAmount(text: string, currency: Currency, field = 'amount'): bigint {
  const exponent = CURRENCY_EXPONENT[currency];
  const match = DECIMAL_TEXT.exec(text);
  if (!match) {
    throw invalidAmount(field, `must be a plain decimal number such as 12.50, got ${JSON.stringify(text.slice(0, 40))}`);
  }
  const whole = match[1]!;
  const fraction = (match[2] ?? '').slice(1);
  if (fraction.length > exponent) {
    throw invalidAmount(field, `${currency} allows at most ${exponent} decimal place(s)`);
  }
  if (whole.length > MAX_MAJOR_DIGITS) {
    throw invalidAmount(field, `is larger than the maximum of ${'9'.repeat(MAX_MAJOR_DIGITS)}`);
  }
  const minor = BigInt(whole + fraction.padEnd(exponent, '0'));
  if (minor <= 0n) throw invalidAmount(field, 'must be greater than zero');
  return minor;
}

/** As parseAmount, but zero ("0", "0.00") is allowed and gives 0n: an initial float, a credit line. */
export function parseAmountOrZero(text: string, currency: Currency, field = 'amount'): bigint {
  return /^0(\.0+)?$/.test(text) ? 0n : parseAmount(text, currency, field);
}

/** Formats minor units as a decimal string with exactly the currency's decimals. */
export function formatAmount(minor: bigint | string, currency: Currency): string {
  const value = typeof minor === 'bigint' ? minor : BigInt(minor);
  const exponent = CURRENCY_EXPONENT[currency];
  const negative = value < 0n;
  const digits = (negative ? -value : value).toString().padStart(exponent + 1, '0');
  const whole = digits.slice(0, digits.length - exponent);
  const fraction = exponent > 0 ? '.' + digits.slice(digits.length - exponent) : '';
  return (negative ? '-' : '') + whole + fraction;
}

function invalidAmount(field: string, message: string): DomainError {
  return new DomainError('invalid_request', `${field} ${message}`, { field });
}
