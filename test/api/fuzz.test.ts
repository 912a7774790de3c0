/**
 * Hostile input against every route (fast-check): malformed and double-encoded JSON,
 * wrong types, huge and tiny numbers, long strings, unicode, SQL and path fragments in
 * ids, missing and extra fields, odd headers and methods, bodies over the limit.
 * Never a 5xx, always a JSON error body on 4xx, and a refused request changes nothing.
 *
 * FUZZ_RUNS sets the number of cases: 500 in `npm test`, 10,000 in `npm run fuzz`.
 */
import fc from 'fast-check';
import request from 'supertest';
import { newEnvironment, startTestContext, type TestContext } from '../helpers/stack';

const RUNS = Number(process.env.FUZZ_RUNS ?? 500);
jest.setTimeout(Math.max(120_000, RUNS * 400));

let ctx: TestContext;
let env: { envId: string; secret: string };
let walletId: string;
beforeAll(async () => {
  ctx = await startTestContext({ syncTimeoutMs: 10_000 });
  env = await newEnvironment(ctx.pool, 'fuzz');
  walletId = (await request(ctx.app).post('/wallet/').set('X-Wallet-Signature', env.secret).send({ env_id: env.envId, user_id: 'fuzzer' })).body.id;
  await request(ctx.app).post('/wallet/topup/').set('X-Wallet-Signature', env.secret).send({ env_id: env.envId, user_id: 'fuzzer', wallet_id: walletId, amount: 50 });
});
afterAll(async () => ctx.close());

/** Every route the app serves, with {wallet}/{env}/{user} placeholders for ids. */
const ROUTES: { method: 'get' | 'post' | 'patch'; path: string; fields: string[] }[] = [
  { method: 'post', path: '/wallet/', fields: ['env_id', 'user_id', 'currency'] },
  { method: 'get', path: '/wallet/', fields: ['env_id', 'user_id'] },
  { method: 'patch', path: '/wallet/{wallet}/status/', fields: ['env_id', 'user_id', 'status'] },
  { method: 'post', path: '/wallet/topup/', fields: ['env_id', 'user_id', 'wallet_id', 'amount'] },
  { method: 'post', path: '/wallet/payment/', fields: ['env_id', 'user_id', 'wallet_id', 'amount', 'product_id'] },
  { method: 'post', path: '/wallet/withdraw/', fields: ['env_id', 'user_id', 'wallet_id', 'amount'] },
  { method: 'get', path: '/wallet/{env}/orders/{user}', fields: ['limit', 'cursor'] },
  { method: 'post', path: '/wallet/transfer/', fields: ['env_id', 'user_id', 'wallet_id', 'to_wallet_id', 'amount', 'reference'] },
  { method: 'post', path: '/wallet/refund/', fields: ['env_id', 'order_id', 'amount'] },
  { method: 'get', path: '/wallet/{wallet}/transactions/', fields: ['env_id', 'user_id', 'limit', 'cursor', 'from', 'to'] },
  { method: 'get', path: '/wallet/{wallet}/balance/', fields: ['env_id', 'at'] },
  { method: 'get', path: '/wallet/withdrawals/{wallet}/', fields: ['env_id'] },
  { method: 'get', path: '/wallet/{env}/withdrawals/{user}', fields: ['limit', 'cursor'] },
  { method: 'post', path: '/wallet/withdrawals/{wallet}/cancel/', fields: ['env_id'] },
  { method: 'post', path: '/environments/{env}/webhooks/', fields: ['url', 'event_types'] },
  { method: 'get', path: '/environments/{env}/webhooks/', fields: [] },
  { method: 'post', path: '/stripe/webhook', fields: ['id', 'type', 'data'] },
  { method: 'get', path: '/healthz', fields: [] },
];

const nasty = fc.constantFrom(
  "1' or '1'='1",
  '1; drop table wallets; --',
  '../../etc/passwd',
  '%2e%2e%2f',
  '\u0000',
  '𝟙𝟚𝟛',
  'ℌ𝔢𝔩𝔩𝔬',
  '-0',
  '1e309',
  '9'.repeat(400),
  '0.000000000000000000001',
  'NaN',
  '-Infinity',
  '__proto__',
  'constructor',
  ' ',
  '',
);

/** A JSON value as raw text, including number literals JS itself would lose. */
const rawValue: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom('123', '"123"', '"fuzzer"', '50', '0.01', '"active"', '"USD"', 'null', 'true', '[]', '{}', '1e3', '-1', '1.999', '123456789012345678901234567890', '1.0e-400'),
  nasty.map((s) => JSON.stringify(s)),
  fc.string({ unit: 'grapheme', maxLength: 300 }).map((s) => JSON.stringify(s)),
  fc.double().map((d) => (Number.isFinite(d) ? String(d) : '0')),
  fc.bigInt().map((b) => b.toString()),
  fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.stringify(v) ?? 'null'),
);

const idSegment = fc.oneof(fc.constant('{real}'), fc.constantFrom('0', '-1', '99999999999999999999', 'abc', '%20', '..', "1'--"), fc.string({ maxLength: 30 }));

const caseArb = fc.record({
  route: fc.constantFrom(...ROUTES),
  fields: fc.dictionary(fc.constantFrom('env_id', 'user_id', 'wallet_id', 'to_wallet_id', 'order_id', 'amount', 'product_id', 'status', 'currency', 'limit', 'cursor', 'from', 'to', 'at', 'url', 'event_types', 'reference', 'extra', '__proto__'), rawValue, { maxKeys: 7 }),
  encoding: fc.constantFrom('plain', 'double', 'garbage', 'array', 'huge', 'empty'),
  auth: fc.constantFrom('valid', 'valid', 'valid', 'none', 'wrong', 'long', 'signed-garbage'),
  segment: idSegment,
  method: fc.option(fc.constantFrom('put', 'delete', 'options', 'head'), { freq: 8 }),
  contentType: fc.constantFrom('application/json', 'text/plain', 'application/x-www-form-urlencoded', 'application/json; charset=latin1', ''),
  idempotencyKey: fc.option(fc.oneof(fc.string({ maxLength: 300 }), fc.constant('k'.repeat(256))), { freq: 4 }),
});

function bodyText(fields: Record<string, string>, encoding: string): string {
  const object = '{' + Object.entries(fields).map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(',') + '}';
  switch (encoding) {
    case 'double':
      return JSON.stringify(object);
    case 'garbage':
      return object.slice(0, Math.max(1, object.length - 3));
    case 'array':
      return `[${object}]`;
    case 'huge':
      return JSON.stringify({ padding: 'x'.repeat(70_000) });
    case 'empty':
      return '';
    default:
      return object;
  }
}

async function state() {
  const { rows } = await ctx.pool.query(
    `select (select count(*) from ledger_transactions where env_id = $1)::int as txs,
            (select count(*) from orders where env_id = $1)::int as orders,
            (select count(*) from withdrawals where env_id = $1)::int as withdrawals,
            (select count(*) from webhook_endpoints where env_id = $1)::int as endpoints,
            (select count(*) from stripe_events)::int as stripe_events,
            (select coalesce(string_agg(id || ':' || balance || status, ',' order by id), '') from wallets where env_id = $1) as wallets`,
    [env.envId],
  );
  return rows[0];
}

test(`${RUNS} hostile requests: never a 5xx, JSON errors, no effect from a refusal`, async () => {
  let refused = 0;
  await fc.assert(
    fc.asyncProperty(caseArb, async (c) => {
      const fill = (s: string) =>
        s.replace('{real}', walletId).replace('{wallet}', c.segment === '{real}' ? walletId : encodeURIComponent(c.segment)).replace('{env}', env.envId).replace('{user}', 'fuzzer');
      const path = fill(c.route.path);
      const method = c.method ?? c.route.method;
      const body = bodyText(c.fields, c.encoding);
      let req = request(ctx.app)[method as 'get'](method === 'get' || method === 'head' ? `${path}?${new URLSearchParams(Object.fromEntries(Object.entries(c.fields).map(([k, v]) => [k, v.replace(/^"|"$/g, '')])))}` : path);
      if (c.contentType) req = req.set('Content-Type', c.contentType);
      if (c.auth === 'valid') req = req.set('X-Wallet-Signature', env.secret);
      if (c.auth === 'wrong') req = req.set('X-Wallet-Signature', 'secret_nope');
      if (c.auth === 'long') req = req.set('X-Wallet-Signature', 's'.repeat(5000));
      if (c.auth === 'signed-garbage') req = req.set('X-Wallet-Signature', 'v1=zz').set('X-Wallet-Timestamp', '1').set('X-Wallet-Env', '1; drop');
      if (c.idempotencyKey !== null) req = req.set('Idempotency-Key', c.idempotencyKey.replace(/[\r\n]/g, ''));
      const before = await state();
      const res = method === 'get' || method === 'head' || method === 'options' ? await req : await req.send(body);
      if (res.status >= 500 && res.status !== 501 && res.status !== 503) {
        throw new Error(`${method.toUpperCase()} ${path} ${body.slice(0, 200)} → ${res.status} ${res.text.slice(0, 300)}`);
      }
      expect(res.status).not.toBe(503); // the stack is up: a 503 would hide a bug
      if (res.status >= 400 && method !== 'head') {
        expect(res.body?.error?.code).toEqual(expect.any(String));
        refused += 1;
        expect(await state()).toEqual(before);
      }
    }),
    { numRuns: RUNS },
  );
  expect(refused).toBeGreaterThan(RUNS / 2);
});
