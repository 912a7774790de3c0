/**
 * Bad input of every field and every refusal: a clear JSON error with the right code,
 * never a 500, and nothing changed (balances, orders and ledger rows counted before
 * and after).
 */
import request from 'supertest';
import { expectLedgerExact, newEnvironment, seedBody, startTestContext, type TestContext } from '../helpers/stack';

let ctx: TestContext;
let env: { envId: string; secret: string };
let walletId: string;
const user = 'refusal-user';

beforeAll(async () => {
  ctx = await startTestContext();
  env = await newEnvironment(ctx.pool, 'refusals');
  walletId = (await post('/wallet/', { env_id: env.envId, user_id: user })).body.id;
  expect((await post('/wallet/topup/', { env_id: env.envId, user_id: user, wallet_id: walletId, amount: 100 })).status).toBe(200);
});
afterAll(async () => {
  await expectLedgerExact(ctx.pool);
  await ctx.close();
});

function post(path: string, body: Record<string, unknown> | string) {
  return request(ctx.app)
    .post(path)
    .set('X-Wallet-Signature', env.secret)
    .set('Content-Type', 'application/json')
    .send(typeof body === 'string' ? body : seedBody(body));
}

async function snapshot() {
  const { rows } = await ctx.pool.query(
    `select (select count(*) from ledger_transactions where env_id = $1)::int as txs,
            (select count(*) from orders where env_id = $1)::int as orders,
            (select count(*) from wallets where env_id = $1)::int as wallets,
            (select string_agg(balance::text || status, ',' order by id) from wallets where env_id = $1) as state`,
    [env.envId],
  );
  return rows[0];
}

const base = () => ({ env_id: env.envId, user_id: user, wallet_id: walletId, amount: 10, product_id: 'p1' });
/** A topup takes no product_id: an unknown parameter is refused (422) before anything else. */
const topupBase = () => ({ env_id: env.envId, user_id: user, wallet_id: walletId, amount: 10 });

const badBodies: [string, () => Record<string, unknown>, string][] = [
  ['amount zero', () => ({ ...base(), amount: 0 }), 'invalid_request'],
  ['amount negative', () => ({ ...base(), amount: -5 }), 'invalid_request'],
  ['amount with 3 decimals', () => ({ ...base(), amount: '1.005' }), 'invalid_request'],
  ['amount as exponent', () => ({ ...base(), amount: '1e3' }), 'invalid_request'],
  ['amount NaN', () => ({ ...base(), amount: 'NaN' }), 'invalid_request'],
  ['amount absurd', () => ({ ...base(), amount: '10000000000000' }), 'invalid_request'],
  ['amount missing', () => ({ ...base(), amount: undefined }), 'invalid_request'],
  ['amount boolean', () => ({ ...base(), amount: true }), 'invalid_request'],
  ['amount object', () => ({ ...base(), amount: { value: 1 } }), 'invalid_request'],
  ['env_id missing', () => ({ ...base(), env_id: undefined }), 'invalid_request'],
  ['env_id not an id', () => ({ ...base(), env_id: "1; drop table wallets" }), 'invalid_request'],
  ['env_id negative', () => ({ ...base(), env_id: -1 }), 'invalid_request'],
  ['env_id fractional', () => ({ ...base(), env_id: 1.5 }), 'invalid_request'],
  ['wallet_id missing', () => ({ ...base(), wallet_id: undefined }), 'invalid_request'],
  ['wallet_id too large', () => ({ ...base(), wallet_id: '99999999999999999999' }), 'invalid_request'],
  ['wallet_id path fragment', () => ({ ...base(), wallet_id: '../1' }), 'invalid_request'],
  ['user_id empty', () => ({ ...base(), user_id: '' }), 'invalid_request'],
  ['user_id too long', () => ({ ...base(), user_id: 'u'.repeat(200) }), 'invalid_request'],
  ['user_id with spaces', () => ({ ...base(), user_id: 'a b' }), 'invalid_request'],
  ['product_id missing', () => ({ ...base(), product_id: undefined }), 'invalid_request'],
];

describe.each([
  ['/wallet/topup/', badBodies.filter(([name]) => !name.startsWith('product_id'))],
  ['/wallet/payment/', badBodies],
] as const)('%s', (path, cases) => {
  test.each(cases)('%s → 4xx with a JSON error and no effect', async (_name, body, code) => {
    const before = await snapshot();
    const res = await post(path, body());
    expect(res.status).toBe(code === 'invalid_request' ? 422 : 400);
    expect(res.body.error).toEqual(expect.objectContaining({ code, message: expect.any(String), details: expect.any(Object) }));
    expect(await snapshot()).toEqual(before);
  });
});

test.each([
  ['not JSON', '{"env_id": '],
  ['an array', '[1, 2, 3]'],
  ['a bare number', '42'],
  ['a string holding garbage', JSON.stringify('not json at all')],
])('body that is %s → 400 invalid_json', async (_name, raw) => {
  const before = await snapshot();
  const res = await post('/wallet/topup/', raw);
  expect(res.status).toBe(400);
  expect(res.body.error.code).toBe('invalid_json');
  expect(await snapshot()).toEqual(before);
});

test('a body over 64 kB → 413', async () => {
  const res = await post('/wallet/topup/', { ...base(), padding: 'x'.repeat(70_000) });
  expect(res.status).toBe(413);
  expect(res.body.error.code).toBe('payload_too_large');
});

test('422 lists every issue', async () => {
  const res = await post('/wallet/payment/', { env_id: env.envId });
  expect(res.status).toBe(422);
  const paths = res.body.error.details.issues.map((i: { path: string }) => i.path);
  expect(paths).toEqual(expect.arrayContaining(['user_id', 'wallet_id', 'amount', 'product_id']));
});

test('insufficient funds → 422, the order recorded as failed, nothing debited', async () => {
  const before = await snapshot();
  const res = await post('/wallet/payment/', { ...base(), amount: 100.01 });
  expect(res.status).toBe(422);
  expect(res.body.error.code).toBe('insufficient_funds');
  const after = await snapshot();
  expect(after.txs).toBe(before.txs);
  expect(after.state).toBe(before.state);
  expect(after.orders).toBe(before.orders + 1);
  const { rows } = await ctx.pool.query(`select status, failure_code from orders where env_id = $1 order by id desc limit 1`, [env.envId]);
  expect(rows[0]).toEqual({ status: 'failed', failure_code: 'insufficient_funds' });
});

test('a suspended wallet refuses topup and payment; active again, it works; closed needs zero balance and is final', async () => {
  const patch = (status: string) =>
    request(ctx.app).patch(`/wallet/${walletId}/status`).set('X-Wallet-Signature', env.secret).send(seedBody({ env_id: env.envId, user_id: user, status }));
  expect((await patch('suspended')).body.status).toBe('suspended');
  const before = await snapshot();
  for (const path of ['/wallet/topup/', '/wallet/payment/']) {
    const res = await post(path, path === '/wallet/topup/' ? topupBase() : base());
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe('wallet_not_active');
  }
  expect((await snapshot()).txs).toBe(before.txs);
  expect((await patch('active')).body.status).toBe('active');
  expect((await post('/wallet/payment/', base())).status).toBe(200);

  const closing = await patch('closed');
  expect(closing.status).toBe(409);
  expect(closing.body.error.code).toBe('conflict');

  const empty = (await post('/wallet/', { env_id: env.envId, user_id: 'empty-user' })).body.id;
  const closeEmpty = (status: string) =>
    request(ctx.app).patch(`/wallet/${empty}/status/`).set('X-Wallet-Signature', env.secret).send(seedBody({ env_id: env.envId, user_id: 'empty-user', status }));
  expect((await closeEmpty('closed')).body.status).toBe('closed');
  expect((await closeEmpty('active')).status).toBe(409);
  const topup = await post('/wallet/topup/', { env_id: env.envId, user_id: 'empty-user', wallet_id: empty, amount: 1 });
  expect(topup.body.error.code).toBe('wallet_not_active');
});

test('ids and amounts as strings work like numbers; paths work without the trailing slash', async () => {
  const res = await request(ctx.app)
    .post('/wallet/topup')
    .set('X-Wallet-Signature', env.secret)
    .send({ env_id: String(env.envId), user_id: user, wallet_id: String(walletId), amount: '0.50' });
  expect(res.status).toBe(200);
  expect(res.text).toMatch(/"balance":[0-9]+\.[0-9]{2}[,}]/);
});

test('unknown routes and wallet ids answer JSON 404', async () => {
  const route = await request(ctx.app).get('/nope').set('X-Wallet-Signature', env.secret);
  expect(route.status).toBe(404);
  expect(route.body.error.code).toBe('not_found');
  const wallet = await post('/wallet/topup/', { ...topupBase(), wallet_id: '999999999999' });
  expect(wallet.status).toBe(404);
});
