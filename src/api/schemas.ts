/**
 * Field schemas for the wire format. Ids arrive as JSON numbers or strings of digits;
 * amounts as JSON numbers (kept as their text by lossless-json) or decimal strings.
 */
import './zod-openapi';
import { z } from 'zod';
import { isNumericId, canonicalId } from '../domain/ids';
import { CURRENCIES, DEFAULT_CURRENCY, MAX_MAJOR_DIGITS } from '../domain/money';
import { WALLET_STATUSES } from '../domain/types';
import { AUTHORIZATION_TTL_SECONDS } from '../domain/authorizations';
import { fieldText } from './json';

const text = (schema: z.ZodString) => z.preprocess(fieldText, schema);

export const id = z
  .preprocess(fieldText, z.string({ error: 'must be an id: a positive integer or a string of digits' }))
  .refine(isNumericId, { message: 'must be an id: a positive integer or a string of digits' })
  .transform(canonicalId)
  .openapi({ type: ['string', 'integer'], pattern: '^[0-9]{1,19}$', example: '123', description: 'A positive integer, or a string of its digits' });

/** The merchant's own user id (a number, a uuid, …), kept as a string. */
export const userId = text(
  z
    .string({ error: 'must be a string or a number' })
    .min(1, 'must not be empty')
    .max(128, 'must be at most 128 characters')
    .regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces'),
).openapi({ type: ['string', 'integer'], example: '123', description: "The merchant's own user id (string or number)" });

/**
 * A positive decimal in major units. What needs no currency is refused here, before any
 * request is stored or any workflow starts (a batch's items are otherwise only parsed in
 * its activity): a sign, an exponent, zero (0, 0.00, -0) and more than MAX_MAJOR_DIGITS
 * integer digits. The decimals allowed depend on the wallet's currency: parseAmount.
 */
export const amount = text(
  z
    .string({ error: 'must be a decimal number such as 12.50' })
    .max(40, 'is too long')
    .regex(/^(0|[1-9][0-9]*)(\.[0-9]+)?$/, 'must be a plain positive decimal number such as 12.50 (no sign, no exponent)')
    .refine((t) => !/^0(\.0*)?$/.test(t), 'must be greater than zero')
    .refine((t) => t.split('.')[0]!.length <= MAX_MAJOR_DIGITS, `is larger than the maximum of ${'9'.repeat(MAX_MAJOR_DIGITS)}`),
).openapi({
  type: ['number', 'string'],
  example: 12.5,
  description: "Positive amount in major units, at most the currency's decimals (a JSON number is read exactly, never as a float)",
});

export const currency = z
  .enum(CURRENCIES as [string, ...string[]], { error: `must be one of ${CURRENCIES.join(', ')}` })
  .default(DEFAULT_CURRENCY);

export const walletStatus = z.enum(WALLET_STATUSES, { error: `must be one of ${WALLET_STATUSES.join(', ')}` });

export const productId = text(z.string({ error: 'must be a string' }).min(1, 'must not be empty').max(128, 'must be at most 128 characters'));

export const pageLimit = z.coerce
  .number({ error: 'must be an integer from 1 to 100' })
  .int('must be an integer from 1 to 100')
  .min(1, 'must be an integer from 1 to 100')
  .max(100, 'must be an integer from 1 to 100')
  .default(20);

/** A keyset cursor is a row id: digits within Postgres bigint (a larger one is a 422, not a 500). */
export const cursor = z
  .string()
  .refine((text) => text === '0' || isNumericId(text), 'is not a cursor this API returned')
  .optional();

/** A payment authorization's lifetime in whole seconds (README, Authorize and capture). */
export const authorizationTtl = text(
  z
    .string({ error: `must be a whole number of seconds from ${AUTHORIZATION_TTL_SECONDS.min} to ${AUTHORIZATION_TTL_SECONDS.max}` })
    .regex(/^[1-9][0-9]{0,7}$/, `must be a whole number of seconds from ${AUTHORIZATION_TTL_SECONDS.min} to ${AUTHORIZATION_TTL_SECONDS.max}`)
    .refine((t) => Number(t) <= AUTHORIZATION_TTL_SECONDS.max, `must be at most ${AUTHORIZATION_TTL_SECONDS.max} (30 days)`),
)
  .transform((t) => Number(t))
  .openapi({
    type: ['integer', 'string'],
    example: 3600,
    description: `With "capture": false: seconds until an uncaptured hold voids itself (default ${AUTHORIZATION_TTL_SECONDS.default}: 7 days; at most 30 days)`,
  });
