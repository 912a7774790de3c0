/**
 * Hostile input against every route (fast-check): malformed and double-encoded JSON,
 * wrong types, huge and tiny numbers, long strings, unicode, SQL and path fragments in
 * ids, missing and extra fields, odd headers and methods, bodies over the limit.
 * Never a 5xx, always a JSON error body on 4xx, and a refused request changes nothing.
 *
 * Then valid requests of every route with one hostile text field each (a NUL or another
 * control character, a lone surrogate, a huge string, an unknown parameter, or, for a
 * number-ish body field, a poison number: 1e2, -0, 1e400, "NaN", true, [1], {…}), in the
 * body, the query or the path — nested fields too: a payment's splits, a batch's items, a
 * fee schedule's rules — each is refused with 422 (413 past the body limit) naming the
 * field, and nothing changes. After both runs no workflow of the fuzz
 * environment is left Running.
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
  // Withdrawals the fuzz starts expire within seconds (nobody onboards), so the run can
  // end with no workflow left Running.
  ctx = await startTestContext({ syncTimeoutMs: 10_000, withdrawWaits: { onboardingTimeoutMs: 2_000 } });
  env = await newEnvironment(ctx.pool, 'fuzz');
  walletId = (await request(ctx.app).post('/wallet/').set('X-Wallet-Signature', env.secret).send({ env_id: env.envId, user_id: 'fuzzer' })).body.id;
  otherWalletId = (await request(ctx.app).post('/wallet/').set('X-Wallet-Signature', env.secret).send({ env_id: env.envId, user_id: 'fuzzer-2' })).body.id;
  await request(ctx.app).post('/wallet/topup/').set('X-Wallet-Signature', env.secret).send({ env_id: env.envId, user_id: 'fuzzer', wallet_id: walletId, amount: 50 });
});
afterAll(async () => ctx.close());
let otherWalletId: string;

/** Every route the app serves, with {wallet}/{env}/{user} placeholders for ids. */
const ROUTES: { method: 'get' | 'post' | 'patch' | 'put'; path: string; fields: string[] }[] = [
  { method: 'post', path: '/wallet/', fields: ['env_id', 'user_id', 'currency'] },
  { method: 'get', path: '/wallet/', fields: ['env_id', 'user_id'] },
  { method: 'patch', path: '/wallet/{wallet}/status/', fields: ['env_id', 'user_id', 'status'] },
  { method: 'post', path: '/wallet/topup/', fields: ['env_id', 'user_id', 'wallet_id', 'amount', 'method'] },
  { method: 'get', path: '/wallet/topups/{wallet}/', fields: ['env_id'] },
  { method: 'post', path: '/wallet/payment/', fields: ['env_id', 'user_id', 'wallet_id', 'amount', 'product_id', 'splits', 'capture', 'authorization_ttl_seconds'] },
  { method: 'post', path: '/wallet/batch/', fields: ['env_id', 'atomic', 'items'] },
  { method: 'put', path: '/environments/{env}/fees/', fields: ['currency', 'transfer', 'withdraw', 'payment'] },
  { method: 'post', path: '/wallet/withdraw/', fields: ['env_id', 'user_id', 'wallet_id', 'amount'] },
  { method: 'get', path: '/wallet/{env}/orders/{user}', fields: ['limit', 'cursor'] },
  { method: 'post', path: '/wallet/transfer/', fields: ['env_id', 'user_id', 'wallet_id', 'to_wallet_id', 'amount', 'reference'] },
  { method: 'post', path: '/wallet/refund/', fields: ['env_id', 'order_id', 'amount'] },
  { method: 'post', path: '/wallet/orders/{wallet}/capture/', fields: ['env_id', 'amount'] },
  { method: 'post', path: '/wallet/orders/{wallet}/void/', fields: ['env_id'] },
  { method: 'get', path: '/wallet/{wallet}/transactions/', fields: ['env_id', 'user_id', 'limit', 'cursor', 'from', 'to'] },
  { method: 'get', path: '/wallet/{wallet}/balance/', fields: ['env_id', 'at'] },
  { method: 'get', path: '/wallet/withdrawals/{wallet}/', fields: ['env_id'] },
  { method: 'get', path: '/wallet/{env}/withdrawals/{user}', fields: ['limit', 'cursor'] },
  { method: 'post', path: '/wallet/withdrawals/{wallet}/cancel/', fields: ['env_id'] },
  { method: 'post', path: '/environments/{env}/webhooks/', fields: ['url', 'event_types'] },
  { method: 'get', path: '/environments/{env}/webhooks/', fields: [] },
  { method: 'post', path: '/stripe/webhook', fields: ['id', 'type', 'data'] },
  { method: 'get', path: '/healthz', fields: [] },
  {
    method: 'post',
    path: '/wallet/schedules/',
    fields: ['env_id', 'user_id', 'wallet_id', 'kind', 'amount', 'product_id', 'to_wallet_id', 'cron', 'every', 'start_at', 'end_at', 'timezone'],
  },
  { method: 'get', path: '/wallet/schedules/', fields: ['env_id', 'wallet_id', 'limit', 'cursor'] },
  { method: 'get', path: '/wallet/schedules/{wallet}/', fields: ['env_id'] },
  { method: 'post', path: '/wallet/schedules/{wallet}/pause/', fields: ['env_id'] },
  { method: 'get', path: '/wallet/{wallet}/statement/', fields: ['env_id', 'user_id', 'from', 'to', 'format'] },
  { method: 'get', path: '/events/', fields: ['env_id', 'after', 'types', 'limit'] },
  { method: 'get', path: '/environments/{env}/ledger/head/', fields: ['transaction_id'] },
  { method: 'patch', path: '/wallet/{wallet}/limits/', fields: ['env_id', 'user_id', 'daily_amount', 'monthly_amount', 'daily_count'] },
  { method: 'post', path: '/wallet/monitors/', fields: ['env_id', 'wallet_id', 'field', 'op', 'value'] },
  { method: 'get', path: '/wallet/monitors/', fields: ['env_id', 'wallet_id'] },
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

/** Number literals and texts a number-ish field must refuse, whatever the field (an amount, an id, a percent, a ttl). */
const POISON_NUMBERS = ['1e2', '-0', '-0.0', '-1', '1e400', '"1e2"', '"-0"', '"NaN"', '"Infinity"', '"0x10"', '" 5"', '""', 'true', '[1]', '{"a":1}', '9'.repeat(400), '"5\\u0000"', '"\\ud800"'];
/** Also odd but accepted by some fields: 1.0 (an amount of 1.00), "100" (a decimal string), 0 (a zero fee). */
const numberish = fc.constantFrom(...POISON_NUMBERS, '1.0', '"100"', '0', '0.00', '9999999999999', '1.001');
/** The issue-12 fields' shapes with poison inside (@W@ / @W2@: the fuzz's wallets). */
const structured: fc.Arbitrary<string> = fc.oneof(
  fc.tuple(fc.constantFrom('@W2@', '@W@', '"@W2@"', '1e2', '-0', '0'), numberish).map(([w, a]) => `[{"wallet_id":${w},"amount":${a}}]`),
  numberish.map((a) => `[{"wallet_id":@W2@,"amount":1,"fee":${a}}]`),
  fc.tuple(fc.constantFrom('topup', 'payment', 'transfer', 'refund', 'topup\\u0000'), numberish).map(
    ([t, a]) => `[{"type":"${t}","user_id":"fuzzer","wallet_id":@W@,"to_wallet_id":@W2@,"product_id":"sku","amount":${a}}]`,
  ),
  numberish.map((a) => `[{"type":"payment","user_id":"fuzzer","wallet_id":@W@,"product_id":"sku","amount":1,"splits":[{"wallet_id":@W2@,"amount":${a}}]}]`),
  fc.tuple(numberish, numberish, fc.constantFrom('percent', 'fixed', 'min', 'max', 'cap')).map(([a, b, k]) => `{"${k}":${a},"fixed":${b}}`),
  numberish,
);

/** A JSON value as raw text, including number literals JS itself would lose. */
const rawValue: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom('123', '"123"', '"fuzzer"', '50', '0.01', '"active"', '"USD"', 'null', 'true', '[]', '{}', '1e3', '-1', '1.999', '123456789012345678901234567890', '1.0e-400', 'false', '"false"', '60'),
  structured,
  nasty.map((s) => JSON.stringify(s)),
  fc.string({ unit: 'grapheme', maxLength: 300 }).map((s) => JSON.stringify(s)),
  fc.double().map((d) => (Number.isFinite(d) ? String(d) : '0')),
  fc.bigInt().map((b) => b.toString()),
  fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.stringify(v) ?? 'null'),
);

const idSegment = fc.oneof(fc.constant('{real}'), fc.constantFrom('0', '-1', '99999999999999999999', 'abc', '%20', '..', "1'--"), fc.string({ maxLength: 30 }));

const caseArb = fc.record({
  route: fc.constantFrom(...ROUTES),
  fields: fc.dictionary(
    fc.constantFrom(
      'env_id', 'user_id', 'wallet_id', 'to_wallet_id', 'order_id', 'amount', 'product_id', 'status', 'currency', 'limit', 'cursor', 'from', 'to', 'at', 'url', 'event_types', 'reference', 'extra', '__proto__',
      // Issue 12: splits, authorizations, batches, fee schedules.
      'splits', 'capture', 'authorization_ttl_seconds', 'atomic', 'items', 'transfer', 'payment', 'withdraw',
    ),
    rawValue,
    { maxKeys: 7 },
  ),
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

/**
 * What a refused request must not change. Stripe events are not per environment and other
 * test files post them concurrently, so only the event id this case sent is counted.
 */
async function state(stripeEventId = '') {
  const { rows } = await ctx.pool.query(
    `select (select count(*) from ledger_transactions where env_id = $1)::int as txs,
            (select count(*) from orders where env_id = $1)::int as orders,
            (select count(*) from withdrawals where env_id = $1)::int as withdrawals,
            (select count(*) from webhook_endpoints where env_id = $1)::int as endpoints,
            (select count(*) from schedules where env_id = $1)::int as schedules,
            (select count(*) from batches where env_id = $1)::int as batches,
            (select count(*) from environment_fees where env_id = $1)::int as fee_rules,
            (select count(*) from stripe_events where id = $2)::int as stripe_events,
            (select coalesce(string_agg(id || ':' || balance || status, ',' order by id), '') from wallets where env_id = $1) as wallets`,
    [env.envId, stripeEventId],
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
      const body = bodyText(c.fields, c.encoding).replaceAll('@W2@', otherWalletId).replaceAll('@W@', walletId);
      let req = request(ctx.app)[method as 'get'](method === 'get' || method === 'head' ? `${path}?${new URLSearchParams(Object.fromEntries(Object.entries(c.fields).map(([k, v]) => [k, v.replace(/^"|"$/g, '')])))}` : path);
      if (c.contentType) req = req.set('Content-Type', c.contentType);
      if (c.auth === 'valid') req = req.set('X-Wallet-Signature', env.secret);
      if (c.auth === 'wrong') req = req.set('X-Wallet-Signature', 'secret_nope');
      if (c.auth === 'long') req = req.set('X-Wallet-Signature', 's'.repeat(5000));
      if (c.auth === 'signed-garbage') req = req.set('X-Wallet-Signature', 'v1=zz').set('X-Wallet-Timestamp', '1').set('X-Wallet-Env', '1; drop');
      if (c.idempotencyKey !== null) req = req.set('Idempotency-Key', c.idempotencyKey.replace(/[\r\n]/g, ''));
      const eventId = (c.fields.id ?? '').replace(/^"|"$/g, '');
      const before = await state(eventId);
      const res = method === 'get' || method === 'head' || method === 'options' ? await req : await req.send(body);
      if (res.status >= 500 && res.status !== 501 && res.status !== 503) {
        throw new Error(`${method.toUpperCase()} ${path} ${body.slice(0, 200)} → ${res.status} ${res.text.slice(0, 300)}`);
      }
      expect(res.status).not.toBe(503); // the stack is up: a 503 would hide a bug
      if (res.status >= 400 && method !== 'head') {
        expect(res.body?.error?.code).toEqual(expect.any(String));
        refused += 1;
        expect(await state(eventId)).toEqual(before);
      }
    }),
    { numRuns: RUNS },
  );
  expect(refused).toBeGreaterThan(RUNS / 2);
});


/** A valid request of a route: its body, query and path parameters, each a text field that can be made hostile. */
interface ValidRequest {
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  /** Path with :name placeholders filled from `params`. */
  path: string;
  params: Record<string, string>;
  query: Record<string, string>;
  body: Record<string, unknown> | null;
}

const VALID: { name: string; make: () => ValidRequest }[] = [
  { name: 'create wallet', make: () => ({ method: 'post', path: '/wallet/', params: {}, query: {}, body: { env_id: env.envId, user_id: 'fuzzer', currency: 'USD' } }) },
  { name: 'list wallets', make: () => ({ method: 'get', path: '/wallet/', params: {}, query: { env_id: env.envId, user_id: 'fuzzer' }, body: null }) },
  { name: 'wallet status', make: () => ({ method: 'patch', path: '/wallet/:wallet_id/status/', params: { wallet_id: walletId }, query: {}, body: { env_id: env.envId, user_id: 'fuzzer', status: 'active' } }) },
  { name: 'topup', make: () => ({ method: 'post', path: '/wallet/topup/', params: {}, query: {}, body: { env_id: env.envId, user_id: 'fuzzer', wallet_id: walletId, amount: '1.00' } }) },
  { name: 'payment', make: () => ({ method: 'post', path: '/wallet/payment/', params: {}, query: {}, body: { env_id: env.envId, user_id: 'fuzzer', wallet_id: walletId, amount: '1.00', product_id: 'sku-1' } }) },
  { name: 'transfer', make: () => ({ method: 'post', path: '/wallet/transfer/', params: {}, query: {}, body: { env_id: env.envId, user_id: 'fuzzer', wallet_id: walletId, to_wallet_id: otherWalletId, amount: '1.00', reference: 'rent' } }) },
  { name: 'refund', make: () => ({ method: 'post', path: '/wallet/refund/', params: {}, query: {}, body: { env_id: env.envId, order_id: '1', amount: '1.00' } }) },
  {
    name: 'payment with splits',
    make: () => ({ method: 'post', path: '/wallet/payment/', params: {}, query: {}, body: { env_id: env.envId, user_id: 'fuzzer', wallet_id: walletId, amount: '1.00', product_id: 'sku-1', splits: [{ wallet_id: otherWalletId, amount: '0.50' }] } }),
  },
  {
    name: 'authorization',
    make: () => ({ method: 'post', path: '/wallet/payment/', params: {}, query: {}, body: { env_id: env.envId, user_id: 'fuzzer', wallet_id: walletId, amount: '1.00', product_id: 'sku-1', capture: false, authorization_ttl_seconds: '60' } }),
  },
  {
    name: 'batch',
    make: () => ({
      method: 'post', path: '/wallet/batch/', params: {}, query: {},
      body: {
        env_id: env.envId,
        atomic: true,
        items: [
          { type: 'topup', user_id: 'fuzzer', wallet_id: walletId, amount: '1.00' },
          { type: 'transfer', user_id: 'fuzzer', wallet_id: walletId, to_wallet_id: otherWalletId, amount: '0.50', reference: 'rent' },
          { type: 'payment', user_id: 'fuzzer', wallet_id: walletId, amount: '0.25', product_id: 'sku-1' },
        ],
      },
    }),
  },
  {
    name: 'fee schedule',
    make: () => ({ method: 'put', path: '/environments/:env_id/fees/', params: { env_id: env.envId }, query: {}, body: { currency: 'USD', transfer: { percent: '1.5', fixed: '0.10', min: '0.20', max: '5.00' } } }),
  },
  { name: 'capture', make: () => ({ method: 'post', path: '/wallet/orders/:order_id/capture/', params: { order_id: '1' }, query: {}, body: { env_id: env.envId, amount: '1.00' } }) },
  { name: 'void', make: () => ({ method: 'post', path: '/wallet/orders/:order_id/void/', params: { order_id: '1' }, query: {}, body: { env_id: env.envId } }) },
  { name: 'withdraw', make: () => ({ method: 'post', path: '/wallet/withdraw/', params: {}, query: {}, body: { env_id: env.envId, user_id: 'fuzzer', wallet_id: walletId, amount: '1.00' } }) },
  { name: 'cancel withdrawal', make: () => ({ method: 'post', path: '/wallet/withdrawals/:withdrawal_id/cancel/', params: { withdrawal_id: '1' }, query: {}, body: { env_id: env.envId } }) },
  { name: 'withdrawal', make: () => ({ method: 'get', path: '/wallet/withdrawals/:withdrawal_id/', params: { withdrawal_id: '1' }, query: { env_id: env.envId }, body: null }) },
  { name: 'withdrawals', make: () => ({ method: 'get', path: '/wallet/:env_id/withdrawals/:user_id', params: { env_id: env.envId, user_id: 'fuzzer' }, query: { limit: '5', cursor: '1' }, body: null }) },
  { name: 'orders', make: () => ({ method: 'get', path: '/wallet/:env_id/orders/:user_id', params: { env_id: env.envId, user_id: 'fuzzer' }, query: { limit: '5', cursor: '1' }, body: null }) },
  {
    name: 'transactions',
    make: () => ({ method: 'get', path: '/wallet/:wallet_id/transactions/', params: { wallet_id: walletId }, query: { env_id: env.envId, user_id: 'fuzzer', limit: '5', cursor: '1', from: '2020-01-01T00:00:00Z', to: '2100-01-01T00:00:00Z' }, body: null }),
  },
  { name: 'balance', make: () => ({ method: 'get', path: '/wallet/:wallet_id/balance/', params: { wallet_id: walletId }, query: { env_id: env.envId, at: '2100-01-01T00:00:00Z' }, body: null }) },
  { name: 'register webhook', make: () => ({ method: 'post', path: '/environments/:env_id/webhooks', params: { env_id: env.envId }, query: {}, body: { url: 'https://merchant.example.com/hooks', event_types: ['payment.completed'] } }) },
  { name: 'webhooks', make: () => ({ method: 'get', path: '/environments/:env_id/webhooks', params: { env_id: env.envId }, query: {}, body: null }) },
  { name: 'disable webhook', make: () => ({ method: 'delete', path: '/environments/:env_id/webhooks/:webhook_id', params: { env_id: env.envId, webhook_id: '1' }, query: {}, body: null }) },
  {
    name: 'create schedule',
    make: () => ({
      method: 'post', path: '/wallet/schedules/', params: {}, query: {},
      body: { env_id: env.envId, user_id: 'fuzzer', wallet_id: walletId, kind: 'payment', amount: '1.00', product_id: 'sku-1', every: '1h', timezone: 'Europe/Paris' },
    }),
  },
  { name: 'schedules', make: () => ({ method: 'get', path: '/wallet/schedules/', params: {}, query: { env_id: env.envId, wallet_id: walletId, limit: '5' }, body: null }) },
  { name: 'schedule', make: () => ({ method: 'get', path: '/wallet/schedules/:schedule_id/', params: { schedule_id: '1' }, query: { env_id: env.envId }, body: null }) },
  { name: 'pause schedule', make: () => ({ method: 'post', path: '/wallet/schedules/:schedule_id/pause/', params: { schedule_id: '1' }, query: {}, body: { env_id: env.envId } }) },
  { name: 'end schedule', make: () => ({ method: 'delete', path: '/wallet/schedules/:schedule_id/', params: { schedule_id: '1' }, query: { env_id: env.envId }, body: null }) },
  {
    name: 'statement',
    make: () => ({ method: 'get', path: '/wallet/:wallet_id/statement/', params: { wallet_id: walletId }, query: { env_id: env.envId, user_id: 'fuzzer', from: '2020-01-01T00:00:00Z', to: '2100-01-01T00:00:00Z', format: 'csv' }, body: null }),
  },
  { name: 'events feed', make: () => ({ method: 'get', path: '/events/', params: {}, query: { env_id: env.envId, types: 'payment.completed', limit: '5' }, body: null }) },
  { name: 'ledger head', make: () => ({ method: 'get', path: '/environments/:env_id/ledger/head/', params: { env_id: env.envId }, query: {}, body: null }) },
  {
    name: 'wallet limits',
    make: () => ({ method: 'patch', path: '/wallet/:wallet_id/limits/', params: { wallet_id: walletId }, query: {}, body: { env_id: env.envId, user_id: 'fuzzer', daily_amount: '1000.00' } }),
  },
  { name: 'environment limits', make: () => ({ method: 'put', path: '/environments/:env_id/limits/', params: { env_id: env.envId }, query: {}, body: { currency: 'USD', daily_count: 1000 } }) },
  { name: 'create monitor', make: () => ({ method: 'post', path: '/wallet/monitors/', params: {}, query: {}, body: { env_id: env.envId, wallet_id: walletId, field: 'balance', op: 'lt', value: '10.00' } }) },
  { name: 'monitors', make: () => ({ method: 'get', path: '/wallet/monitors/', params: {}, query: { env_id: env.envId, wallet_id: walletId }, body: null }) },
  { name: 'delete monitor', make: () => ({ method: 'delete', path: '/wallet/monitors/:monitor_id/', params: { monitor_id: '1' }, query: { env_id: env.envId }, body: null }) },
  { name: 'connect return link', make: () => ({ method: 'get', path: '/stripe/connect/return/:withdrawal_id', params: { withdrawal_id: '1' }, query: { token: 'x'.repeat(32) }, body: null }) },
];

const CONTROL_CHARS = [...Array.from({ length: 32 }, (_, i) => String.fromCharCode(i)), '\u007f'];
const hostileKind = fc.constantFrom('nul', 'control', 'lone-surrogate', 'huge', 'unknown-field', 'poison-number');
/** Body fields whose every value above must be refused (not user_id or product_id: "1e2" is a fine user id). */
const NUMBERISH_FIELD = /^(amount|percent|fixed|min|max|authorization_ttl_seconds|wallet_id|to_wallet_id|order_id|env_id)$/;

/** Every string leaf of a JSON value, with its path (splits.0.amount, items.1.reference, transfer.percent). */
function stringLeaves(value: unknown, path: string[] = []): string[][] {
  if (typeof value === 'string') return [path];
  if (Array.isArray(value)) return value.flatMap((v, i) => stringLeaves(v, [...path, String(i)]));
  if (value !== null && typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => stringLeaves(v, [...path, k]));
  return [];
}

function setAt(root: Record<string, unknown>, path: string[], value: unknown): void {
  let at: Record<string, unknown> = root;
  for (const key of path.slice(0, -1)) at = at[key] as Record<string, unknown>;
  at[path.at(-1)!] = value;
}
const hostileCase = fc.record({
  route: fc.constantFrom(...VALID),
  kind: hostileKind,
  /** Which of the request's text fields (index into its fields), and where in the text. */
  field: fc.nat(),
  at: fc.nat(),
  control: fc.constantFrom(...CONTROL_CHARS),
  surrogate: fc.constantFrom('\ud800', '\udbff', '\udc00', '\udfff'),
  hugeLength: fc.integer({ min: 3_000, max: 80_000 }),
  // Names no fuzzed route knows (`splits` was one until issue 12 made it a payment field).
  unknownName: fc.constantFrom('capture_method', 'refund_to_card', 'payment_method', 'expand', 'metadata', 'x', 'amount_cents', 'currency_code'),
  unknownValue: fc.constantFrom<unknown>(false, 'card', [{ wallet_id: 1, amount: 1 }], { a: 1 }, 0, null),
  poisonNumber: fc.constantFrom(...POISON_NUMBERS),
  idempotencyKey: fc.boolean(),
});

/** A body's JSON text with the one poisoned value written raw (a literal JSON.stringify cannot write: 1e400, -0). */
const RAW_MARK = '@@POISON@@';

/** Percent-encodes a value for a URL, control characters included (encodeURIComponent refuses lone surrogates). */
const urlText = (text: string) => Array.from(text, (ch) => (/[\ud800-\udfff]/.test(ch) ? '' : encodeURIComponent(ch))).join('');

test(`${RUNS} valid requests with one hostile text field each: 422 naming the field, nothing changed, no workflow left running`, async () => {
  const counts: Record<string, number> = {};
  await fc.assert(
    fc.asyncProperty(hostileCase, async (c) => {
      const r = c.route.make();
      // The text fields of the request, wherever they are (nested ones too: splits.0.amount, items.1.reference).
      const bodyFields = stringLeaves(r.body ?? {}).map((path) => ({ location: 'body' as const, name: path.join('.'), path }));
      const fields: { location: 'params' | 'query' | 'body'; name: string; path: string[] }[] = [
        ...Object.keys(r.params).map((name) => ({ location: 'params' as const, name, path: [name] })),
        ...Object.keys(r.query).map((name) => ({ location: 'query' as const, name, path: [name] })),
        ...bodyFields,
      ];
      let kind = c.kind;
      const numberish = bodyFields.filter((f) => NUMBERISH_FIELD.test(f.path.at(-1)!));
      // A poison number goes into a number-ish body field; a route without one gets a NUL instead.
      if (kind === 'poison-number' && !numberish.length) kind = 'nul';
      // In a URL, a lone surrogate cannot be sent (it is not UTF-8): a control character goes instead.
      const target = kind === 'poison-number' ? numberish[c.field % numberish.length]! : fields[c.field % fields.length]!;
      if (kind === 'lone-surrogate' && target.location !== 'body') kind = 'control';
      // An unknown field goes into the body, or the query string of a route without a body.
      if (kind === 'unknown-field' && r.body === null && r.path.startsWith('/stripe/')) kind = 'nul'; // browser links ignore extra query parameters
      const spoil = (text: string) => {
        const i = c.at % (text.length + 1);
        const insert = kind === 'nul' ? '\u0000' : kind === 'control' ? c.control : kind === 'lone-surrogate' ? c.surrogate : 'x'.repeat(c.hugeLength);
        return text.slice(0, i) + insert + text.slice(i);
      };
      let expectedPath: string = target.name;
      if (kind === 'unknown-field') {
        expectedPath = c.unknownName;
        if (r.body !== null) r.body[c.unknownName] = c.unknownValue;
        else r.query[c.unknownName] = String(c.unknownValue);
      } else if (kind === 'poison-number') {
        setAt(r.body!, target.path, RAW_MARK);
      } else if (target.location === 'body') {
        const value = target.path.reduce<unknown>((at, key) => (at as Record<string, unknown>)[key], r.body);
        setAt(r.body!, target.path, spoil(String(value)));
      } else {
        // A URL is bounded by the server's header limit: a huge text there is a few kB.
        const text = r[target.location][target.name]!;
        r[target.location][target.name] = kind === 'huge' ? text + 'x'.repeat(Math.min(c.hugeLength, 4_000)) : spoil(text);
      }
      const path = r.path.replace(/:([a-z_]+)/g, (_, name: string) => urlText(r.params[name]!));
      const query = Object.entries(r.query).map(([k, v]) => `${urlText(k)}=${urlText(v)}`).join('&');
      let req = request(ctx.app)[r.method](query ? `${path}?${query}` : path).set('X-Wallet-Signature', env.secret);
      if (c.idempotencyKey && r.method === 'post') req = req.set('Idempotency-Key', `fuzz-hostile-${c.at}-${c.field}`);
      const before = await state();
      const res = r.body === null ? await req : await req.set('Content-Type', 'application/json').send(JSON.stringify(r.body).replace(`"${RAW_MARK}"`, c.poisonNumber));
      const tooLarge = kind === 'huge' && target.location === 'body' && res.status === 413;
      const describe = `${c.route.name} ${kind} in ${target.location} ${target.name} → ${res.status} ${res.text.slice(0, 300)}`;
      if (!tooLarge) {
        if (res.status !== 422) throw new Error(describe);
        expect(res.body.error.code).toBe('invalid_request');
        const paths = (res.body.error.details.issues as { path: string }[]).map((i) => i.path);
        if (!paths.includes(expectedPath)) throw new Error(`${describe}: the field is not named`);
        if (kind === 'nul' || kind === 'control' || kind === 'lone-surrogate' || (kind === 'poison-number' && /\\u0000|\\ud800/.test(c.poisonNumber))) {
          expect(res.body.error.message).toMatch(/control characters/);
        }
        if (kind === 'unknown-field') expect(res.body.error.details.issues).toEqual(expect.arrayContaining([expect.objectContaining({ path: expectedPath, message: 'received unknown parameter' })]));
      }
      expect(res.headers['workflow-id']).toBeUndefined();
      expect(await state()).toEqual(before);
      counts[kind] = (counts[kind] ?? 0) + 1;
    }),
    { numRuns: RUNS },
  );
  expect(Object.keys(counts).sort()).toEqual(['control', 'huge', 'lone-surrogate', 'nul', 'poison-number', 'unknown-field']);

  // No workflow of the fuzz environment left Running: what the fuzz started (a valid
  // withdrawal expires in 2 s) has ended; a hostile request never started one.
  const deadline = Date.now() + 60_000;
  let running: string[] = [];
  do {
    running = [];
    for await (const wf of ctx.client.workflow.list({ query: `PaynocchioEnvId = "${env.envId}" AND ExecutionStatus = "Running"` })) running.push(wf.workflowId);
    if (running.length) await new Promise((r) => setTimeout(r, 500));
  } while (running.length && Date.now() < deadline);
  expect(running).toEqual([]);
});
