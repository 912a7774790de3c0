import { isLosslessNumber } from 'lossless-json';
import { parseJsonBody } from '../../src/api/json';
import { DomainError } from '../../src/domain/errors';

test('a plain object and the seed double-encoded object parse alike, numbers keeping their text', () => {
  const plain = parseJsonBody('{"env_id": 123, "amount": 12.10}');
  const seed = parseJsonBody(JSON.stringify('{"env_id": 123, "amount": 12.10}'));
  for (const body of [plain, seed]) {
    expect(isLosslessNumber(body.amount)).toBe(true);
    expect(String(body.amount)).toBe('12.10');
    expect(String(body.env_id)).toBe('123');
  }
});

test('numbers past 2^53 keep every digit', () => {
  expect(String(parseJsonBody('{"wallet_id": 9223372036854775807}').wallet_id)).toBe('9223372036854775807');
});

test('an empty body is an empty object', () => {
  expect(parseJsonBody('')).toEqual({});
  expect(parseJsonBody('  \n')).toEqual({});
});

test.each(['[1,2]', '"just a string"', '12', 'null', 'true', '{"a":', '{"a":1,"a":2}', JSON.stringify(JSON.stringify(JSON.stringify({ a: 1 }))), '{\'a\': 1}'])(
  'refuses %s with invalid_json',
  (text) => {
    try {
      parseJsonBody(text);
      throw new Error('expected a refusal');
    } catch (err) {
      expect(err).toBeInstanceOf(DomainError);
      expect((err as DomainError).code).toBe('invalid_json');
    }
  },
);

test('__proto__ in a body is an own key, not a prototype', () => {
  const body = parseJsonBody('{"__proto__": {"amount": 5}}');
  expect(Object.getPrototypeOf(body)).toBe(Object.prototype);
  expect((body as Record<string, unknown>).amount).toBeUndefined();
});
