/**
 * The error catalogue (src/domain/errors.ts) is what clients and workflows rely on: each
 * code's HTTP status and whether workflows retry it. Pinned here, so a change to either is
 * a deliberate one (README, Errors).
 */
import { HTTP_STATUS } from '../../src/api/errors';
import { BUSINESS_ERROR_CODES, ERROR_CATALOGUE, ERROR_CODES, isErrorCode } from '../../src/domain/errors';

const CODES_BY_STATUS: Record<number, string[]> = {
  400: ['invalid_json', 'invalid_signature'],
  401: ['unauthorized', 'replayed_signature'],
  403: ['forbidden'],
  404: ['not_found'],
  409: ['order_not_authorized', 'authorization_expired', 'idempotency_key_mismatch', 'conflict', 'seller_insufficient_funds'],
  413: ['payload_too_large'],
  422: [
    'invalid_request', 'wallet_not_active', 'insufficient_funds', 'currency_mismatch', 'funding_limit_exceeded', 'withdrawal_limit_exceeded',
    'limit_exceeded', 'statement_too_large', 'amount_exceeds_authorization', 'batch_refused',
  ],
  429: ['rate_limited'],
  500: ['internal'],
  502: ['provider_error'],
  503: ['unavailable'],
};

test('every code answers with its HTTP status', () => {
  const byStatus: Record<number, string[]> = {};
  for (const code of ERROR_CODES) (byStatus[HTTP_STATUS[code]] ??= []).push(code);
  for (const codes of Object.values(byStatus)) codes.sort();
  expect(byStatus).toEqual(Object.fromEntries(Object.entries(CODES_BY_STATUS).map(([s, codes]) => [s, [...codes].sort()])));
});

test('the business refusals, which workflows never retry, are these and only these', () => {
  expect([...BUSINESS_ERROR_CODES].sort()).toEqual(
    [
      'invalid_request', 'not_found', 'wallet_not_active', 'insufficient_funds', 'currency_mismatch', 'funding_limit_exceeded',
      'withdrawal_limit_exceeded', 'limit_exceeded', 'statement_too_large', 'order_not_authorized', 'authorization_expired',
      'amount_exceeds_authorization', 'batch_refused', 'conflict', 'seller_insufficient_funds',
    ].sort(),
  );
});

test('a business refusal is a 4xx other than 429, so an idempotent replay answers it again', () => {
  for (const code of BUSINESS_ERROR_CODES) {
    expect([code, ERROR_CATALOGUE[code].status >= 400 && ERROR_CATALOGUE[code].status < 500 && ERROR_CATALOGUE[code].status !== 429]).toEqual([code, true]);
  }
});

test('the code list keeps the catalogue order (the OpenAPI enum) and names only codes', () => {
  expect(ERROR_CODES[0]).toBe('invalid_json');
  expect(ERROR_CODES.at(-1)).toBe('internal');
  expect(new Set(ERROR_CODES).size).toBe(ERROR_CODES.length);
  expect(isErrorCode('insufficient_funds')).toBe(true);
  expect(isErrorCode('stripe_unavailable')).toBe(false);
  expect(isErrorCode('database_error')).toBe(false);
  expect(isErrorCode('toString')).toBe(false);
});
