/**
 * The input rules every route shares (src/api/validate.ts): text with a control
 * character or a lone surrogate is refused with 422 naming the field, before any
 * workflow starts (on old main a NUL in product_id reached Postgres, which refused it
 * with SQLSTATE 22021, and the payment's local activity retried that forever); an
 * unknown parameter is refused with 422 naming it (old main dropped it and moved the
 * money); a cursor or an id above bigint is a 422, not a 500.
 */
import request from 'supertest';
import { expectLedgerExact, newEnvironment, startTestContext, type TestContext } from '../helpers/stack';

let ctx: TestContext;
let env: { envId: string; secret: string };
let walletId: string;
let otherWalletId: string;
const user = 'rules-user';

beforeAll(async () => {
  ctx = await startTestContext({ syncTimeoutMs: 10_000 });
  env = await newEnvironment(ctx.pool, 'input-rules');
  walletId = (await post('/wallet/', JSON.stringify({ env_id: env.envId, user_id: user }))).body.id;
  otherWalletId = (await post('/wallet/', JSON.stringify({ env_id: env.envId, user_id: 'rules-other' }))).body.id;
  expect(walletId).toEqual(expect.any(String));
});
afterAll(async () => {
  await expectLedgerExact(ctx.pool);
  await ctx.close();
});

/** Sends the raw JSON text as written, so escapes such as \u0000 and \ud800 reach the parser untouched. */
function post(path: string, raw: string) {
  return request(ctx.app).post(path).set('X-Wallet-Signature', env.secret).set('Content-Type', 'application/json').send(raw);
}
const get = (path: string) => request(ctx.app).get(path).set('X-Wallet-Signature', env.secret);

/** A JSON object's text with one member's value written raw (e.g. "\"a\\u0000b\""). */
function withRaw(body: Record<string, unknown>, field: string, rawValue: string): string {
  const text = JSON.stringify({ ...body, [field]: '@@RAW@@' });
  return text.replace('"@@RAW@@"', rawValue);
}

async function snapshot() {
  const { rows } = await ctx.pool.query(
    `select (select count(*) from ledger_transactions where env_id = $1)::int as txs,
            (select count(*) from orders where env_id = $1)::int as orders,
            (select count(*) from webhook_endpoints where env_id = $1)::int as endpoints,
            (select string_agg(balance::text || status, ',' order by id) from wallets where env_id = $1) as state`,
    [env.envId],
  );
  return rows[0];
}

async function workflowsOfEnv(): Promise<number> {
  let n = 0;
  for await (const _ of ctx.client.workflow.list({ query: `PaynocchioEnvId = "${env.envId}"` })) n += 1;
  return n;
}

function expectNamed(res: request.Response, field: string, message: RegExp) {
  expect(res.status).toBe(422);
  expect(res.body.error.code).toBe('invalid_request');
  expect(res.body.error.message).toMatch(message);
  expect(res.body.error.details.issues).toEqual(expect.arrayContaining([expect.objectContaining({ path: field })]));
}

const CONTROL = /control characters/;
const payment = () => ({ env_id: env.envId, user_id: user, wallet_id: walletId, amount: 1, product_id: 'sku-1' });
const transfer = () => ({ env_id: env.envId, user_id: user, wallet_id: walletId, to_wallet_id: otherWalletId, amount: 1, reference: 'rent' });

test('a payment with product_id "a\\u0000b" → 422 naming product_id at once; no workflow, no order', async () => {
  const before = await snapshot();
  const started = Date.now();
  const res = await post('/wallet/payment/', withRaw(payment(), 'product_id', '"a\\u0000b"'));
  expect(Date.now() - started).toBeLessThan(5_000); // old main: 503 after the sync timeout
  expectNamed(res, 'product_id', /^product_id: .*control characters/);
  expect(res.headers['workflow-id']).toBeUndefined();
  expect(await snapshot()).toEqual(before);
  expect(await workflowsOfEnv()).toBe(0);
});

test('a transfer reference with NUL → 422 naming reference; nothing moved, no workflow', async () => {
  const before = await snapshot();
  const res = await post('/wallet/transfer/', withRaw(transfer(), 'reference', '"rent\\u0000march"'));
  expectNamed(res, 'reference', CONTROL);
  expect(await snapshot()).toEqual(before);
  expect(await workflowsOfEnv()).toBe(0);
});

test.each([
  ['a bell (U+0007)', '"sku\\u0007"'],
  ['a newline', '"sku\\n1"'],
  ['a tab', '"sku\\t1"'],
  ['DEL (U+007F)', '"sku\\u007f"'],
  ['a lone high surrogate', '"sku\\ud800"'],
  ['a lone low surrogate', '"\\udc00sku"'],
  ['a reversed pair', '"\\udc00\\ud800"'],
])('product_id with %s → 422 naming it', async (_name, raw) => {
  const res = await post('/wallet/payment/', withRaw(payment(), 'product_id', raw));
  expectNamed(res, 'product_id', CONTROL);
});

test('a well-formed surrogate pair (an emoji) is text like any other', async () => {
  const res = await post('/wallet/', withRaw({ env_id: env.envId, user_id: 'emoji-user' }, 'currency', '"\\ud83d\\ude00"'));
  // Refused as a currency, not as hostile text.
  expect(res.status).toBe(422);
  expect(res.body.error.message).not.toMatch(CONTROL);
});

test('the double-encoded (seed) body is checked too', async () => {
  const res = await post('/wallet/payment/', JSON.stringify(JSON.stringify({ ...payment(), product_id: 'a\u0000b' })));
  expectNamed(res, 'product_id', CONTROL);
});

test('every text field of every route: user_id, ids given as text, currency, status, webhook url, event types, keys', async () => {
  const cases: [string, () => request.Test, string][] = [
    ['create wallet user_id', () => post('/wallet/', withRaw({ env_id: env.envId }, 'user_id', '"u\\u0000"')), 'user_id'],
    ['create wallet currency', () => post('/wallet/', withRaw({ env_id: env.envId, user_id: 'x' }, 'currency', '"US\\u0000D"')), 'currency'],
    ['topup wallet_id as text', () => post('/wallet/topup/', withRaw({ env_id: env.envId, user_id: user, amount: 1 }, 'wallet_id', `"${walletId}\\u0000"`)), 'wallet_id'],
    ['topup amount as text', () => post('/wallet/topup/', withRaw({ env_id: env.envId, user_id: user, wallet_id: walletId }, 'amount', '"1\\u0000"')), 'amount'],
    ['refund order_id', () => post('/wallet/refund/', withRaw({ env_id: env.envId }, 'order_id', '"1\\u0000"')), 'order_id'],
    ['withdraw user_id', () => post('/wallet/withdraw/', withRaw({ env_id: env.envId, wallet_id: walletId, amount: 1 }, 'user_id', '"\\ud800"')), 'user_id'],
    ['status', () => request(ctx.app).patch(`/wallet/${walletId}/status/`).set('X-Wallet-Signature', env.secret).set('Content-Type', 'application/json').send(withRaw({ env_id: env.envId, user_id: user }, 'status', '"active\\u0000"')), 'status'],
    ['webhook url', () => post(`/environments/${env.envId}/webhooks`, withRaw({}, 'url', '"https://example.com/a\\u0000b"')), 'url'],
    ['webhook event type', () => post(`/environments/${env.envId}/webhooks`, withRaw({ url: 'https://example.com/h' }, 'event_types', '["payment.completed\\u0000"]')), 'event_types.0'],
    ['a key with NUL', () => post('/wallet/payment/', JSON.stringify(payment()).replace('"product_id"', '"product_id\\u0000"')), '"product_id\\u0000"'],
    ['query user_id', () => get(`/wallet/?env_id=${env.envId}&user_id=a%00b`), 'user_id'],
    ['query env_id', () => get(`/wallet/?env_id=${env.envId}%00&user_id=${user}`), 'env_id'],
    ['query cursor', () => get(`/wallet/${env.envId}/orders/${user}?cursor=1%00`), 'cursor'],
    ['query timestamp', () => get(`/wallet/${walletId}/balance/?env_id=${env.envId}&at=2026-01-01%00`), 'at'],
    ['path wallet_id', () => get(`/wallet/${walletId}%00/balance/?env_id=${env.envId}`), 'wallet_id'],
    ['path user_id', () => get(`/wallet/${env.envId}/orders/a%01b`), 'user_id'],
    ['link token', () => request(ctx.app).get(`/stripe/connect/return/1?token=abc%00`), 'token'],
  ];
  const before = await snapshot();
  for (const [name, send, field] of cases) {
    const res = await send();
    try {
      expectNamed(res, field, CONTROL);
    } catch (err) {
      throw new Error(`${name}: ${res.status} ${res.text}\n${(err as Error).message}`);
    }
  }
  expect(await snapshot()).toEqual(before);
  expect(await workflowsOfEnv()).toBe(0);
});

test('a webhook URL containing NUL → 422, not 500, and no endpoint stored', async () => {
  const before = await snapshot();
  for (const raw of ['"https://example.com/\\u0000"', '"https://exa\\u0000mple.com/"', '"https://example.com/?q=\\u0000"']) {
    const res = await post(`/environments/${env.envId}/webhooks`, withRaw({ event_types: ['payment.completed'] }, 'url', raw));
    expectNamed(res, 'url', CONTROL);
  }
  expect(await snapshot()).toEqual(before);
});

describe('unknown parameters are refused, naming them (as Stripe: "received unknown parameter")', () => {
  test.each([
    ['payment', 'capture_method', 'manual'],
    ['payment', 'transfer_data', { destination: 'acct_1' }], // "splits" is a real field (test/api/splits-fees.test.ts)
    ['topup', 'payment_method', 'pm_card_visa'], // "method": "card" is a card top-up (test/api/card-topups.test.ts)
    ['topup', 'capture', false],
  ] as const)('a %s with "%s" → 422 naming it, nothing moved', async (kind, field, value) => {
    const path = `/wallet/${kind}/`;
    const body = kind === 'payment' ? payment() : { env_id: env.envId, user_id: user, wallet_id: walletId, amount: 1 };
    const before = await snapshot();
    const res = await post(path, JSON.stringify({ ...body, [field]: value }));
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe('invalid_request');
    expect(res.body.error.message).toBe(`received unknown parameter: ${field}`);
    expect(res.body.error.details.issues).toEqual([{ location: 'body', path: field, message: 'received unknown parameter' }]);
    expect(await snapshot()).toEqual(before);
  });

  test('several unknown fields are all listed; a wrong known field is named first', async () => {
    const res = await post('/wallet/payment/', JSON.stringify({ ...payment(), amount: 'abc', capture_method: 'manual', method: 'card' }));
    expect(res.status).toBe(422);
    expect(res.body.error.message).toMatch(/^amount: /);
    const paths = res.body.error.details.issues.map((i: { path: string }) => i.path);
    expect(paths).toEqual(expect.arrayContaining(['amount', 'capture_method', 'method']));
  });

  test('unknown query parameters are refused too, on routes with and without a query', async () => {
    const list = await get(`/wallet/?env_id=${env.envId}&user_id=${user}&expand=all`);
    expect(list.status).toBe(422);
    expect(list.body.error.message).toBe('received unknown parameter: expand');
    const hooks = await get(`/environments/${env.envId}/webhooks?limit=5`);
    expect(hooks.status).toBe(422);
    expect(hooks.body.error.message).toBe('received unknown parameter: limit');
    const ok = await get(`/wallet/?env_id=${env.envId}&user_id=${user}`);
    expect(ok.status).toBe(200);
  });

  test('the seed docs’ status PATCH with amount keeps its 422 naming the statuses', async () => {
    const res = await request(ctx.app)
      .patch(`/wallet/${walletId}/status/`)
      .set('X-Wallet-Signature', env.secret)
      .send(JSON.stringify(JSON.stringify({ env_id: env.envId, user_id: user, amount: 12.12 })));
    expect(res.status).toBe(422);
    expect(res.body.error.message).toMatch(/status.*active.*suspended.*closed/);
    expect(res.body.error.details.issues).toEqual(expect.arrayContaining([expect.objectContaining({ path: 'amount', message: 'received unknown parameter' })]));
  });
});

describe('numbers above Postgres bigint are a 422, never a 500', () => {
  const huge = '9999999999999999999';
  test.each([
    ['orders', () => `/wallet/${env.envId}/orders/${user}?cursor=${huge}`],
    ['withdrawals', () => `/wallet/${env.envId}/withdrawals/${user}?cursor=${huge}`],
    ['transactions', () => `/wallet/${walletId}/transactions/?env_id=${env.envId}&cursor=${huge}`],
  ])('cursor above bigint on %s → 422 naming cursor', async (_name, path) => {
    const res = await get(path());
    expect(res.status).toBe(422);
    expect(res.body.error.details.issues).toEqual(expect.arrayContaining([expect.objectContaining({ path: 'cursor' })]));
  });

  test('the largest bigint is still a cursor (an empty page past the end)', async () => {
    const res = await get(`/wallet/${env.envId}/orders/${user}?cursor=9223372036854775807`);
    expect(res.status).toBe(200);
  });

  test.each([
    ['a wallet id in the path', () => get(`/wallet/9223372036854775808/balance/?env_id=${env.envId}`), 'wallet_id'],
    ['a withdrawal id in the path', () => get(`/wallet/withdrawals/${huge}/?env_id=${env.envId}`), 'withdrawal_id'],
    ['a webhook id in the path', () => request(ctx.app).delete(`/environments/${env.envId}/webhooks/${huge}`).set('X-Wallet-Signature', env.secret), 'webhook_id'],
    ['an order id in the body', () => post('/wallet/refund/', JSON.stringify({ env_id: env.envId, order_id: huge })), 'order_id'],
    ['an env id in the query', () => get(`/wallet/?env_id=${huge}&user_id=${user}`), 'env_id'],
  ])('%s above bigint → 422', async (_name, send, field) => {
    const res = await send();
    expect(res.status).toBe(422);
    expect(res.body.error.details.issues).toEqual(expect.arrayContaining([expect.objectContaining({ path: field })]));
  });
});
