/**
 * Ids on the wire are strings of digits ("123456789"); the seed's clients send them as
 * JSON numbers too. Inside the system they stay strings: Postgres `bigint` comes back
 * from `pg` as a string, and strings survive Temporal's JSON payloads intact.
 */
const MAX_BIGINT = 9223372036854775807n;
const DIGITS = /^[0-9]{1,19}$/;

export function isNumericId(text: string): boolean {
  return DIGITS.test(text) && BigInt(text) > 0n && BigInt(text) <= MAX_BIGINT;
}

/** Canonical form: no leading zeros, so "0123" and "123" name the same row. */
export function canonicalId(text: string): string {
  return BigInt(text).toString();
}
