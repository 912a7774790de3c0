/**
 * The request hash an Idempotency-Key is bound to (src/api/idempotency.ts `requestHash`):
 * the method, the path without its trailing slash, and the parsed body with sorted keys,
 * numbers kept as their text. Bodies go through the API's own parser (`parseJsonBody`),
 * as a request's do, so a number reaches the hash as lossless-json's exact text.
 */
import { requestHash } from '../../src/api/idempotency';
import { parseJsonBody } from '../../src/api/json';

const hashOf = (body: string, method = 'POST', path = '/wallet/topup') => requestHash(method, path, parseJsonBody(body));

test('is a sha256 in hex', () => {
  expect(hashOf('{"amount": 100}')).toMatch(/^[0-9a-f]{64}$/);
});

test('the same content in another key order hashes alike, nested objects included', () => {
  const a = hashOf('{"user_id": "1", "wallet_id": "2", "amount": 100, "meta": {"a": 1, "b": {"x": true, "y": null}}}');
  const b = hashOf('{"meta": {"b": {"y": null, "x": true}, "a": 1}, "amount": 100, "wallet_id": "2", "user_id": "1"}');
  expect(b).toBe(a);
  // objects inside arrays are sorted too
  expect(hashOf('{"splits": [{"wallet_id": "7", "amount": 5}]}')).toBe(hashOf('{"splits": [{"amount": 5, "wallet_id": "7"}]}'));
});

test("the seed's double-encoded body (a JSON string holding the object) hashes like the plain object", () => {
  const plain = '{"wallet_id": "2", "amount": 12.10}';
  expect(hashOf(JSON.stringify(plain))).toBe(hashOf(plain));
});

test('numbers keep their text: 100, 100.00, 1e2 and "100" are four different requests', () => {
  const hashes = ['100', '100.00', '1e2', '"100"'].map((amount) => hashOf(`{"amount": ${amount}}`));
  expect(new Set(hashes).size).toBe(4);
});

test('a different value, an added key, an explicit null or another array order is another request', () => {
  const base = hashOf('{"amount": 100, "tags": ["a", "b"]}');
  expect(hashOf('{"amount": 101, "tags": ["a", "b"]}')).not.toBe(base);
  expect(hashOf('{"amount": 100, "tags": ["a", "b"], "reference": "x"}')).not.toBe(base);
  expect(hashOf('{"amount": 100, "tags": ["a", "b"], "reference": null}')).not.toBe(base);
  expect(hashOf('{"amount": 100, "tags": ["b", "a"]}')).not.toBe(base);
});

test("the method matters, not its letters' case", () => {
  const body = '{"amount": 100}';
  expect(hashOf(body, 'PUT')).not.toBe(hashOf(body, 'POST'));
  expect(hashOf(body, 'post')).toBe(hashOf(body, 'POST'));
});

test('the path matters, its trailing slashes do not', () => {
  const body = '{"amount": 100}';
  const topup = hashOf(body, 'POST', '/wallet/topup');
  expect(hashOf(body, 'POST', '/wallet/topup/')).toBe(topup);
  expect(hashOf(body, 'POST', '/wallet/topup//')).toBe(topup);
  expect(hashOf(body, 'POST', '/wallet/payment')).not.toBe(topup);
  expect(hashOf(body, 'POST', '/wallet/topup/x')).not.toBe(topup);
  // the root stays a path of its own
  expect(hashOf(body, 'POST', '/')).toBe(hashOf(body, 'POST', ''));
  expect(hashOf(body, 'POST', '/')).not.toBe(topup);
});

test('an empty body is the empty object', () => {
  expect(hashOf('')).toBe(hashOf('{}'));
  expect(hashOf('')).not.toBe(hashOf('{"amount": 100}'));
});
