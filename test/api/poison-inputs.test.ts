/**
 * Poison inside the issue-12 fields, table-driven: payment `splits` (and each split),
 * `capture` / `authorization_ttl_seconds` (an authorization's expiry), the capture and void
 * bodies and paths, batch items (POST /wallet/batch/) and fee schedules
 * (PUT /environments/{env_id}/fees/). Each poison — a NUL or another control character, a
 * lone UTF-16 surrogate, a huge number, an exponent (1e2), a fraction where an integer is
 * due (1.0), zero, negative zero, a wrong JSON type, an unknown field — gets a clear JSON
 * 4xx with its code, naming the field, and changes nothing: balances, held amounts, ledger
 * transactions, orders, splits, batches and their items, fee schedules, the authorization
 * waiting for its capture. No answer carries a Workflow-Id (no workflow started).
 *
 * The spellings the contract accepts are shown to move money exactly (1.0 is 1.00, "5" is
 * 5.00, a ttl of "60" is 60 s), so the tables are not refusing everything.
 */
import request from 'supertest';
import { merchant } from '../helpers/api';
import { expectLedgerExact, newEnvironment, startTestContext, type TestContext } from '../helpers/stack';

let ctx: TestContext;
let m: ReturnType<typeof merchant>;
let env: { envId: string; secret: string };
let buyer: string;
let s1: string;
let s2: string;
let foreignWallet: string; // a wallet of another environment
/** An authorization (capture: false) that every poisoned capture and void must leave authorized. */
let authorized: string;

/** The fee schedule every poisoned PUT must leave as it is. */
const SCHEDULE = { currency: 'USD', transfer: { percent: '1.5', fixed: 0.1, min: 0.2, max: 5 }, payment: null, withdraw: null };

beforeAll(async () => {
  ctx = await startTestContext({ syncTimeoutMs: 15_000 });
  env = await newEnvironment(ctx.pool, 'poison');
  m = merchant(ctx, env);
  buyer = await m.wallet('buyer');
  s1 = await m.wallet('seller-1');
  s2 = await m.wallet('seller-2');
  await m.topup('buyer', buyer, 1000);
  foreignWallet = await merchant(ctx, await newEnvironment(ctx.pool, 'poison-other')).wallet('other');
  const auth = await m.post('/wallet/payment/', { ...paymentBody(), amount: 40, capture: false, splits: [{ wallet_id: s1, amount: 10 }] });
  expect(auth.status).toBe(200);
  expect(auth.body.order.status).toBe('authorized');
  authorized = auth.body.order.id;
  expect((await m.put(`/environments/${env.envId}/fees/`, SCHEDULE)).status).toBe(200);
});
afterAll(async () => {
  // The authorization is voided for real at the end: its workflow does not outlive the file.
  const voided = await m.post(`/wallet/orders/${authorized}/void/`, { env_id: env.envId });
  expect(voided.body.order?.status).toBe('voided');
  await expectLedgerExact(ctx.pool);
  await ctx.close();
});

function paymentBody(): Record<string, unknown> {
  return { env_id: env.envId, user_id: 'buyer', wallet_id: buyer, amount: 10, product_id: 'cart' };
}

/** A JSON value written as raw text in the body (1e2, -0, 1.0, "\u0000", 1e400: what JSON.stringify cannot write). */
class Raw {
  constructor(readonly text: string) {}
}
const raw = (text: string) => new Raw(text);

/** The body's JSON text with every Raw written as is. */
function jsonText(body: unknown): string {
  const raws: string[] = [];
  const text = JSON.stringify(body, (_k, v: unknown) => {
    if (v instanceof Raw) {
      raws.push(v.text);
      return `@@RAW${raws.length - 1}@@`;
    }
    return v;
  });
  return text.replace(/"@@RAW(\d+)@@"/g, (_, i: string) => raws[Number(i)]!);
}

function send(method: 'post' | 'put', path: string, body: unknown | string) {
  return request(ctx.app)[method](path)
    .set('X-Wallet-Signature', env.secret)
    .set('Content-Type', 'application/json')
    .send(typeof body === 'string' ? body : jsonText(body));
}

/** Everything a refused request must leave as it was, for this environment. */
async function snapshot() {
  const { rows } = await ctx.pool.query(
    `select (select count(*) from ledger_transactions where env_id = $1)::int as txs,
            (select count(*) from orders where env_id = $1)::int as orders,
            (select count(*) from order_splits s join orders o on o.id = s.order_id where o.env_id = $1)::int as splits,
            (select count(*) from batches where env_id = $1)::int as batches,
            (select count(*) from batch_items i join batches b on b.id = i.batch_id where b.env_id = $1)::int as batch_items,
            (select coalesce(string_agg(kind || ':' || currency || ':' || percent_e4 || '/' || fixed || '/' || min_fee || '/' || coalesce(max_fee::text, '-'), ',' order by kind, currency), '')
               from environment_fees where env_id = $1) as fees,
            (select status || ':' || coalesce(captured_amount::text, '-') from orders where id = $2) as authorization,
            (select string_agg(id || ':' || balance || ':' || held || ':' || status, ',' order by id) from wallets where env_id = $1) as wallets`,
    [env.envId, authorized],
  );
  return rows[0];
}

const HOSTILE = /control characters/;
type Expect = { status: number; code: string; field?: string; message?: RegExp };
/** 422 invalid_request naming `field` (in details.issues, or details.field for the refusals parsed past the schema). */
const invalid = (field: string, message?: RegExp): Expect => ({ status: 422, code: 'invalid_request', field, ...(message ? { message } : {}) });
const unknown = (field: string): Expect => invalid(field, new RegExp(`^received unknown parameter: ${field.replace(/[.$]/g, '\\$&')}$`));
const hostile = (field: string): Expect => invalid(field, HOSTILE);

type Case = [name: string, method: 'post' | 'put', path: () => string, body: () => unknown, expected: Expect];

async function expectRefused([name, method, path, body, expected]: Case) {
  const before = await snapshot();
  const res = await send(method, path(), body());
  const describe = `${name}: ${res.status} ${res.text.slice(0, 400)}`;
  try {
    expect(res.type).toBe('application/json');
    expect(res.status).toBe(expected.status);
    expect(res.body.error.code).toBe(expected.code);
    if (expected.message) expect(res.body.error.message).toMatch(expected.message);
    if (expected.field !== undefined) {
      const issues = ((res.body.error.details.issues ?? []) as { path: string }[]).map((i) => i.path);
      const named = [...issues, res.body.error.details.field].filter((p) => p !== undefined);
      expect(named).toContain(expected.field);
    }
    expect(res.headers['workflow-id']).toBeUndefined();
    expect(await snapshot()).toEqual(before);
  } catch (err) {
    throw new Error(`${describe}\n${(err as Error).message}`);
  }
}

/** One split replaced (a field set to `value`, or the whole split). */
const withSplit = (split: Record<string, unknown>, extra: Record<string, unknown> = {}) => () => ({ ...paymentBody(), ...extra, splits: [split] });
const split = (field: 'wallet_id' | 'amount', value: unknown) => ({ wallet_id: s1, amount: 5, [field]: value });

/** Number-ish poison, for a field `f`: the answer is 422 naming it. */
const NUMBER_POISON: [string, () => unknown][] = [
  ['an exponent 1e2', () => raw('1e2')],
  ['an exponent as text "1e2"', () => '1e2'],
  ['negative zero -0', () => raw('-0')],
  ['negative zero -0.0', () => raw('-0.0')],
  ['"-0" as text', () => '-0'],
  ['a negative number', () => raw('-5')],
  ['1e400 (past a double)', () => raw('1e400')],
  ['400 nines', () => raw('9'.repeat(400))],
  ['13 integer digits (past the 10^12 cap)', () => raw('9999999999999')],
  ['NaN as text', () => 'NaN'],
  ['Infinity as text', () => 'Infinity'],
  ['hex 0x10', () => '0x10'],
  ['a leading plus', () => '+5'],
  ['a space', () => ' 5'],
  ['an empty string', () => ''],
  ['null', () => null],
  ['true', () => true],
  ['an array', () => [5]],
  ['an object', () => ({ value: 5 })],
  ['NUL', () => '5\u0000'],
  ['a bell (U+0007)', () => '\u00075'],
  ['DEL', () => '5\u007f'],
  ['a lone high surrogate', () => raw('"5\\ud800"')],
  ['a lone low surrogate', () => raw('"\\udc005"')],
];
/** Hostile text answers with the hostile-text message; the others name the field. */
const numberExpect = (name: string, field: string): Expect =>
  /NUL|bell|DEL|surrogate/.test(name) ? hostile(field) : invalid(field);
/** An amount: zero and too many decimals are poison too. */
const AMOUNT_POISON: [string, () => unknown][] = [
  ...NUMBER_POISON,
  ['zero', () => 0],
  ['zero as 0.00', () => raw('0.00')],
  ['three decimals in USD', () => raw('5.001')],
];
/** An id: a fraction, an exponent, zero, or past bigint is no id. */
const ID_POISON: [string, () => unknown][] = [
  ['1.0', () => raw('1.0')],
  ['1e2', () => raw('1e2')],
  ['-0', () => raw('-0')],
  ['0', () => 0],
  ['past bigint', () => raw('99999999999999999999')],
  ['NUL in digits', () => '1\u0000'],
  ['a lone surrogate', () => raw('"\\ud800"')],
  ['null', () => null],
  ['true', () => true],
];

describe('payment splits', () => {
  const cases: Case[] = [
    ...AMOUNT_POISON.map(([name, value]): Case => [`splits.0.amount ${name}`, 'post', () => '/wallet/payment/', () => withSplit(split('amount', value()))(), numberExpect(name, 'splits.0.amount')]),
    ...ID_POISON.map(([name, value]): Case => [`splits.0.wallet_id ${name}`, 'post', () => '/wallet/payment/', () => withSplit(split('wallet_id', value()))(), numberExpect(name, 'splits.0.wallet_id')]),
    ['an unknown field in a split', 'post', () => '/wallet/payment/', () => withSplit({ wallet_id: s1, amount: 5, fee: 1 })(), unknown('splits.0.fee')],
    ['a split key with NUL', 'post', () => '/wallet/payment/', () => jsonText(withSplit({})()).replace('"splits":[{}]', `"splits":[{"wallet_id":${s1},"amount\\u0000":5}]`), hostile('splits.0."amount\\u0000"')],
    ['a split without amount', 'post', () => '/wallet/payment/', () => withSplit({ wallet_id: s1 })(), invalid('splits.0.amount')],
    ['a split without wallet_id', 'post', () => '/wallet/payment/', () => withSplit({ amount: 5 })(), invalid('splits.0.wallet_id')],
    ['a split that is a number', 'post', () => '/wallet/payment/', () => ({ ...paymentBody(), splits: [5] }), invalid('splits.0')],
    ['a split that is 1e400', 'post', () => '/wallet/payment/', () => ({ ...paymentBody(), splits: [raw('1e400')] }), invalid('splits.0', /^splits\.0: must be an object, not a number$/)],
    ['a split that is a string', 'post', () => '/wallet/payment/', () => ({ ...paymentBody(), splits: ['s1'] }), invalid('splits.0')],
    ['splits: [] (empty)', 'post', () => '/wallet/payment/', () => ({ ...paymentBody(), splits: [] }), invalid('splits')],
    ['splits: null', 'post', () => '/wallet/payment/', () => ({ ...paymentBody(), splits: null }), invalid('splits')],
    ['splits: {} (an object)', 'post', () => '/wallet/payment/', () => ({ ...paymentBody(), splits: { wallet_id: s1, amount: 5 } }), invalid('splits')],
    ['splits: a string', 'post', () => '/wallet/payment/', () => ({ ...paymentBody(), splits: `${s1}:5` }), invalid('splits')],
    ['51 splits', 'post', () => '/wallet/payment/', () => ({ ...paymentBody(), splits: Array.from({ length: 51 }, () => ({ wallet_id: s1, amount: 0.01 })) }), invalid('splits')],
    ['splits over the amount', 'post', () => '/wallet/payment/', () => ({ ...paymentBody(), splits: [{ wallet_id: s1, amount: 6 }, { wallet_id: s2, amount: 4.01 }] }), invalid('splits')],
    ['a split to the payer', 'post', () => '/wallet/payment/', () => withSplit({ wallet_id: buyer, amount: 1 })(), invalid('splits.0.wallet_id')],
    ['a seller twice', 'post', () => '/wallet/payment/', () => ({ ...paymentBody(), splits: [{ wallet_id: s1, amount: 1 }, { wallet_id: s1, amount: 1 }] }), invalid('splits.1.wallet_id')],
    ['a seller of another environment', 'post', () => '/wallet/payment/', () => withSplit({ wallet_id: foreignWallet, amount: 1 })(), { status: 404, code: 'not_found', field: 'splits.0.wallet_id' }],
    ['a misspelt "split"', 'post', () => '/wallet/payment/', () => ({ ...paymentBody(), split: [{ wallet_id: s1, amount: 1 }] }), unknown('split')],
    // The same poison in an authorization's splits (capture: false) is refused the same way, nothing held.
    ['authorization: splits.0.amount 1e2', 'post', () => '/wallet/payment/', () => withSplit(split('amount', raw('1e2')), { capture: false })(), invalid('splits.0.amount')],
    ['authorization: splits.0.amount -0', 'post', () => '/wallet/payment/', () => withSplit(split('amount', raw('-0')), { capture: false })(), invalid('splits.0.amount')],
    ['authorization: splits.0.wallet_id NUL', 'post', () => '/wallet/payment/', () => withSplit(split('wallet_id', `${'1'}\u0000`), { capture: false })(), hostile('splits.0.wallet_id')],
    ['authorization: splits over the amount', 'post', () => '/wallet/payment/', () => withSplit({ wallet_id: s1, amount: 10.01 }, { capture: false })(), invalid('splits')],
  ];
  test.each(cases.map((c) => [c[0], c] as const))('%s', async (_name, c) => expectRefused(c));
});

describe('an authorization: capture flag and hold expiry (authorization_ttl_seconds)', () => {
  const auth = (ttl: unknown, extra: Record<string, unknown> = {}) => () => ({ ...paymentBody(), capture: false, authorization_ttl_seconds: ttl, ...extra });
  const TTL_POISON: [string, () => unknown][] = [
    ...NUMBER_POISON.filter(([name]) => name !== '13 integer digits (past the 10^12 cap)'),
    ['1.0 (a fraction)', () => raw('1.0')],
    ['60.5', () => raw('60.5')],
    ['zero', () => 0],
    ['"0060" (leading zeros)', () => '0060'],
    ['past 30 days', () => 30 * 24 * 3600 + 1],
    ['past bigint', () => raw('99999999999999999999')],
  ];
  const cases: Case[] = [
    ...TTL_POISON.map(([name, value]): Case => [`authorization_ttl_seconds ${name}`, 'post', () => '/wallet/payment/', () => auth(value())(), numberExpect(name, 'authorization_ttl_seconds')]),
    ['a ttl with "capture": true', 'post', () => '/wallet/payment/', () => auth(60, { capture: true })(), { status: 422, code: 'invalid_request', message: /^authorization_ttl_seconds: only with "capture": false/ }],
    ['a ttl without capture', 'post', () => '/wallet/payment/', () => ({ ...paymentBody(), authorization_ttl_seconds: 60 }), { status: 422, code: 'invalid_request', message: /^authorization_ttl_seconds: only with "capture": false/ }],
    ...([['"false" (text)', 'false'], ['0', 0], ['null', null], ['"no"', 'no'], ['[]', []]] as const).map(
      ([name, value]): Case => [`capture: ${name}`, 'post', () => '/wallet/payment/', () => ({ ...paymentBody(), capture: value }), invalid('capture')],
    ),
    ['capture: "\\u0000"', 'post', () => '/wallet/payment/', () => ({ ...paymentBody(), capture: '\u0000' }), hostile('capture')],
    ['an unknown "expires_at"', 'post', () => '/wallet/payment/', () => auth(60, { expires_at: '2030-01-01T00:00:00Z' })(), unknown('expires_at')],
    ['an unknown "capture_method"', 'post', () => '/wallet/payment/', () => ({ ...paymentBody(), capture_method: 'manual' }), unknown('capture_method')],
  ];
  test.each(cases.map((c) => [c[0], c] as const))('%s', async (_name, c) => expectRefused(c));
});

describe('capture and void of an authorization', () => {
  const capturePath = () => `/wallet/orders/${authorized}/capture/`;
  const voidPath = () => `/wallet/orders/${authorized}/void/`;
  const cases: Case[] = [
    ...AMOUNT_POISON.map(([name, value]): Case => [`capture amount ${name}`, 'post', capturePath, () => ({ env_id: env.envId, amount: value() }), numberExpect(name, 'amount')]),
    ['capture more than held', 'post', capturePath, () => ({ env_id: env.envId, amount: 40.01 }), { status: 422, code: 'amount_exceeds_authorization' }],
    ['capture with an unknown "currency"', 'post', capturePath, () => ({ env_id: env.envId, amount: 1, currency: 'USD' }), unknown('currency')],
    ['capture with an unknown "splits"', 'post', capturePath, () => ({ env_id: env.envId, splits: [{ wallet_id: s2, amount: 1 }] }), unknown('splits')],
    ['capture with a NUL key', 'post', capturePath, () => `{"env_id":${env.envId},"amount\\u0000":1}`, hostile('"amount\\u0000"')],
    ...ID_POISON.map(([name, value]): Case => [`capture env_id ${name}`, 'post', capturePath, () => ({ env_id: value(), amount: 1 }), numberExpect(name, 'env_id')]),
    ['void with an amount', 'post', voidPath, () => ({ env_id: env.envId, amount: 1 }), unknown('amount')],
    ['void with a reason', 'post', voidPath, () => ({ env_id: env.envId, reason: 'expired' }), unknown('reason')],
    ['void with env_id "\\ud800"', 'post', voidPath, () => ({ env_id: raw('"\\ud800"') }), hostile('env_id')],
    ['void with env_id -0', 'post', voidPath, () => ({ env_id: raw('-0') }), invalid('env_id')],
    ['void with env_id 1e2', 'post', voidPath, () => ({ env_id: raw('1e2') }), invalid('env_id')],
    ['void with a body that is an array', 'post', voidPath, () => `[{"env_id":${env.envId}}]`, { status: 400, code: 'invalid_json' }],
    ...['1e2', '-0', '1.0', '0', '99999999999999999999', '%00', '1%00', 'abc'].flatMap((id): Case[] => [
      [`capture of order "${id}"`, 'post', () => `/wallet/orders/${id}/capture/`, () => ({ env_id: env.envId, amount: 1 }), invalid('order_id')],
      [`void of order "${id}"`, 'post', () => `/wallet/orders/${id}/void/`, () => ({ env_id: env.envId }), invalid('order_id')],
    ]),
  ];
  test.each(cases.map((c) => [c[0], c] as const))('%s', async (_name, c) => expectRefused(c));

  test('after all of them the authorization is still authorized, its hold in place', async () => {
    const { rows } = await ctx.pool.query('select status, captured_amount from orders where id = $1', [authorized]);
    expect(rows[0]).toMatchObject({ status: 'authorized' });
    const { rows: w } = await ctx.pool.query('select held from wallets where id = $1', [buyer]);
    expect(w[0]!.held).toBe('4000');
  });
});

describe('batch items', () => {
  const topup = (extra: Record<string, unknown> = {}) => ({ type: 'topup', user_id: 'buyer', wallet_id: buyer, amount: 1, ...extra });
  const pay = (extra: Record<string, unknown> = {}) => ({ type: 'payment', user_id: 'buyer', wallet_id: buyer, amount: 1, product_id: 'cart', ...extra });
  const transfer = (extra: Record<string, unknown> = {}) => ({ type: 'transfer', user_id: 'buyer', wallet_id: buyer, to_wallet_id: s1, amount: 1, ...extra });
  const batch = (items: unknown[], atomic: unknown = true) => () => ({ env_id: env.envId, atomic, items });
  const cases: Case[] = [
    ...AMOUNT_POISON.filter(([name]) => name !== 'three decimals in USD').flatMap(([name, value]): Case[] => [
      [`a topup item's amount ${name}`, 'post', () => '/wallet/batch/', () => batch([topup({ amount: value() })])(), numberExpect(name, 'items.0.amount')],
      [`a transfer item's amount ${name} (second item, non-atomic)`, 'post', () => '/wallet/batch/', () => batch([pay(), transfer({ amount: value() })], false)(), numberExpect(name, 'items.1.amount')],
    ]),
    ...ID_POISON.map(([name, value]): Case => [`a payment item's wallet_id ${name}`, 'post', () => '/wallet/batch/', () => batch([pay({ wallet_id: value() })])(), numberExpect(name, 'items.0.wallet_id')]),
    // A batch payment is paid at once, to revenue: splits are a single payment's (an item with splits would drop them).
    ['a payment item with splits', 'post', () => '/wallet/batch/', () => batch([pay({ splits: [{ wallet_id: s1, amount: 1 }] })])(), unknown('items.0.splits')],
    ['a payment item with capture: false', 'post', () => '/wallet/batch/', () => batch([pay({ capture: false })])(), unknown('items.0.capture')],
    ['a payment item with a ttl', 'post', () => '/wallet/batch/', () => batch([pay({ authorization_ttl_seconds: 60 })])(), unknown('items.0.authorization_ttl_seconds')],
    ['a topup item with method card', 'post', () => '/wallet/batch/', () => batch([topup({ method: 'card' })])(), unknown('items.0.method')],
    ['an item with env_id', 'post', () => '/wallet/batch/', () => batch([topup({ env_id: env.envId })])(), unknown('items.0.env_id')],
    ['an item with an unknown field', 'post', () => '/wallet/batch/', () => batch([transfer({ memo: 'x' })])(), unknown('items.0.memo')],
    ['an item key with NUL', 'post', () => '/wallet/batch/', () => jsonText(batch([])()).replace('"items":[]', `"items":[{"type":"topup","user_id":"buyer","wallet_id":${buyer},"amount\\u0000":1}]`), hostile('items.0."amount\\u0000"')],
    ['a product_id with a lone surrogate', 'post', () => '/wallet/batch/', () => batch([pay({ product_id: raw('"cart\\udfff"') })])(), hostile('items.0.product_id')],
    ['a reference with a newline', 'post', () => '/wallet/batch/', () => batch([transfer({ reference: 'rent\nmarch' })])(), hostile('items.0.reference')],
    ['a user_id with NUL', 'post', () => '/wallet/batch/', () => batch([topup({ user_id: 'buyer\u0000' })])(), hostile('items.0.user_id')],
    ['type "refund"', 'post', () => '/wallet/batch/', () => batch([{ ...topup(), type: 'refund' }])(), invalid('items.0.type')],
    ['type "topup\\u0000"', 'post', () => '/wallet/batch/', () => batch([{ ...topup(), type: 'topup\u0000' }])(), hostile('items.0.type')],
    ['no type', 'post', () => '/wallet/batch/', () => batch([{ user_id: 'buyer', wallet_id: buyer, amount: 1 }])(), invalid('items.0.type')],
    ['an item that is a number', 'post', () => '/wallet/batch/', () => batch([raw('1e2')])(), invalid('items.0')],
    ['an item that is a string', 'post', () => '/wallet/batch/', () => batch(['topup'])(), invalid('items.0')],
    ['items: []', 'post', () => '/wallet/batch/', () => batch([])(), invalid('items')],
    ['items: {} (an object)', 'post', () => '/wallet/batch/', () => ({ env_id: env.envId, atomic: true, items: { 0: topup() } }), invalid('items')],
    ['1,001 items', 'post', () => '/wallet/batch/', () => batch(Array.from({ length: 1001 }, () => topup()))(), invalid('items')],
    ['atomic: "true" (text)', 'post', () => '/wallet/batch/', () => batch([topup()], 'true')(), invalid('atomic')],
    ['atomic: 1', 'post', () => '/wallet/batch/', () => batch([topup()], 1)(), invalid('atomic')],
    ['atomic missing', 'post', () => '/wallet/batch/', () => ({ env_id: env.envId, items: [topup()] }), invalid('atomic')],
    ['env_id -0', 'post', () => '/wallet/batch/', () => ({ ...batch([topup()])(), env_id: raw('-0') }), invalid('env_id')],
    ['an unknown top-level field', 'post', () => '/wallet/batch/', () => ({ ...batch([topup()])(), dry_run: true }), unknown('dry_run')],
  ];
  test.each(cases.map((c) => [c[0], c] as const))('%s', async (_name, c) => expectRefused(c));

  test('an amount finer than its wallet\'s currency (known only with the wallet): atomic 422 batch_refused naming the item, nothing moved', async () => {
    const before = await snapshot();
    const res = await send('post', '/wallet/batch/', batch([topup(), transfer({ amount: raw('1.001') })])());
    expect(res.status).toBe(422);
    expect(res.body.error).toMatchObject({ code: 'batch_refused', details: { index: 1, code: 'invalid_request' } });
    const after = await snapshot();
    // The batch is kept (refused) for its Idempotency-Key's replay; no money moved.
    expect({ ...after, batches: 0, batch_items: 0 }).toEqual({ ...before, batches: 0, batch_items: 0 });
  });
});

describe('fee schedules', () => {
  const fees = () => `/environments/${env.envId}/fees/`;
  const rule = (field: string, value: unknown) => () => ({ currency: 'USD', transfer: { ...SCHEDULE.transfer, [field]: value } });
  const PERCENT_POISON: [string, () => unknown][] = [
    ...NUMBER_POISON.filter(([name]) => !/an array|an object|13 integer/.test(name)),
    ['100.5 (over 100)', () => '100.5'],
    ['five decimals', () => '1.00001'],
    ['"..."', () => '...'],
    ['"1.2.3"', () => '1.2.3'],
    ['leading zeros', () => '001'],
  ];
  const cases: Case[] = [
    ...PERCENT_POISON.map(([name, value]): Case => [`transfer.percent ${name}`, 'put', fees, () => rule('percent', value())(), numberExpect(name, 'transfer.percent')]),
    ...NUMBER_POISON.flatMap(([name, value]): Case[] =>
      (['fixed', 'min'] as const).map((f): Case => [`transfer.${f} ${name}`, 'put', fees, () => rule(f, value())(), name === 'null' ? invalid(`transfer.${f}`) : numberExpect(name, `transfer.${f}`)]),
    ),
    ...NUMBER_POISON.filter(([name]) => name !== 'null').map(([name, value]): Case => [`transfer.max ${name}`, 'put', fees, () => rule('max', value())(), numberExpect(name, 'transfer.max')]),
    ['fixed with three decimals in USD', 'put', fees, () => rule('fixed', raw('0.001'))(), invalid('transfer.fixed')],
    ['fixed with decimals in JPY', 'put', fees, () => ({ currency: 'JPY', transfer: { fixed: raw('1.5') } }), invalid('transfer.fixed')],
    ['min over max', 'put', fees, () => ({ currency: 'USD', transfer: { min: 5, max: 1 } }), invalid('transfer.min')],
    ['an unknown field in a rule', 'put', fees, () => rule('cap', 1)(), unknown('transfer.cap')],
    ['an unknown kind "refund"', 'put', fees, () => ({ ...SCHEDULE, refund: { percent: '1' } }), unknown('refund')],
    ['a rule that is a list', 'put', fees, () => ({ currency: 'USD', transfer: [SCHEDULE.transfer] }), invalid('transfer')],
    ['a rule that is a number', 'put', fees, () => ({ currency: 'USD', transfer: raw('1.5') }), invalid('transfer', /^transfer: must be an object, not a number$/)],
    ['a rule that is a string', 'put', fees, () => ({ currency: 'USD', transfer: '1.5%' }), invalid('transfer')],
    ['a rule key with NUL', 'put', fees, () => `{"currency":"USD","transfer":{"percent\\u0000":"1"}}`, hostile('transfer."percent\\u0000"')],
    ['currency "usd"', 'put', fees, () => ({ ...SCHEDULE, currency: 'usd' }), invalid('currency')],
    ['currency "US\\u0000D"', 'put', fees, () => ({ ...SCHEDULE, currency: 'US\u0000D' }), hostile('currency')],
    ['currency null', 'put', fees, () => ({ ...SCHEDULE, currency: null }), invalid('currency')],
    ['env_id in the path -0', 'put', () => '/environments/-0/fees/', () => SCHEDULE, invalid('env_id')],
    ['env_id in the path 1e2', 'put', () => '/environments/1e2/fees/', () => SCHEDULE, invalid('env_id')],
    ['env_id in the path with NUL', 'put', () => `/environments/${env.envId}%00/fees/`, () => SCHEDULE, hostile('env_id')],
    ['an env_id in the body', 'put', fees, () => ({ ...SCHEDULE, env_id: env.envId }), unknown('env_id')],
  ];
  test.each(cases.map((c) => [c[0], c] as const))('%s', async (_name, c) => expectRefused(c));

  test('after all of them the schedule is the one set first', async () => {
    const res = await m.get(fees());
    expect(res.body).toMatchObject({ transfer: { percent: '1.5', fixed: 0.1, min: 0.2, max: 5 }, payment: null, withdraw: null });
  });
});

describe('the spellings the contract accepts move exactly what they say', () => {
  test('a split of 1.0 is 1.00 and a split of "2" is 2.00; a ttl of "60" is 60 s', async () => {
    const res = await send('post', '/wallet/payment/', { ...paymentBody(), amount: raw('3.0'), splits: [{ wallet_id: s1, amount: raw('1.0') }, { wallet_id: s2, amount: '2' }] });
    expect(res.status).toBe(200);
    expect(res.body.order).toMatchObject({ amount: 3, splits: [{ wallet_id: s1, amount: 1 }, { wallet_id: s2, amount: 2 }] });
    const { rows } = await ctx.pool.query('select amount::text from ledger_postings where transaction_id = $1 order by amount', [res.body.order.transaction_id]);
    expect(rows.map((r) => r.amount)).toEqual(['-300', '100', '200']);

    const auth = await send('post', '/wallet/payment/', { ...paymentBody(), capture: false, authorization_ttl_seconds: '60' });
    expect(auth.status).toBe(200);
    const ttl = Date.parse(auth.body.order.expires_at) - Date.parse(auth.body.order.created_at);
    expect(ttl).toBeGreaterThan(58_000);
    expect(ttl).toBeLessThan(62_000);
    const voided = await send('post', `/wallet/orders/${auth.body.order.id}/void/`, { env_id: env.envId });
    expect(voided.body.order.status).toBe('voided');
  });
});
