/** POST /wallet/transfer: happy path, every refusal (nothing moved), opposite transfers at once. */
import { merchant } from '../helpers/api';
import { recordHistory } from '../helpers/record-history';
import { expectLedgerExact, newEnvironment, startTestContext, type TestContext } from '../helpers/stack';

let ctx: TestContext;
let m: ReturnType<typeof merchant>;
let a: string; // alice's USD wallet
let b: string; // bob's USD wallet
beforeAll(async () => {
  ctx = await startTestContext();
  m = merchant(ctx, await newEnvironment(ctx.pool));
  a = await m.wallet('alice');
  b = await m.wallet('bob');
  await m.topup('alice', a, '500.00');
  await m.topup('bob', b, '500.00');
});
afterEach(async () => expectLedgerExact(ctx.pool));
afterAll(async () => ctx.close());

const transfer = (body: Record<string, unknown>, key?: string) =>
  m.post('/wallet/transfer/', { env_id: Number(m.envId), user_id: 'alice', wallet_id: Number(a), to_wallet_id: Number(b), amount: 10, ...body }, key);

test('moves money between two wallets in one posting', async () => {
  const res = await transfer({ amount: 12.5, reference: 'rent' });
  expect(res.status).toBe(200);
  expect(res.body.transfer).toMatchObject({ from_wallet_id: a, to_wallet_id: b, amount: 12.5, currency: 'USD', reference: 'rent' });
  expect(res.text).toContain('"amount":12.50');
  expect(res.body.wallet).toMatchObject({ id: a, balance: 487.5, held: 0 });
  recordHistory('transfer', res.headers['workflow-id'] as string);
  expect(await m.balance(b)).toBe('51250');
  const { rows } = await ctx.pool.query(
    `select p.wallet_id::text, p.amount::text from ledger_postings p where p.transaction_id = $1 order by p.amount`,
    [res.body.transfer.id],
  );
  expect(rows).toEqual([
    { wallet_id: a, amount: '-1250' },
    { wallet_id: b, amount: '1250' },
  ]);
});

describe('refusals move nothing', () => {
  let before: [string, string];
  beforeEach(async () => {
    before = [await m.balance(a), await m.balance(b)];
  });
  afterEach(async () => {
    expect([await m.balance(a), await m.balance(b)]).toEqual(before);
  });

  test('unknown destination wallet → 404', async () => {
    const res = await transfer({ to_wallet_id: 999999999 });
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('not_found');
  });

  test("a wallet of another environment → 404", async () => {
    const other = merchant(ctx, await newEnvironment(ctx.pool, 'other'));
    const foreign = await other.wallet('carol');
    const res = await transfer({ to_wallet_id: Number(foreign) });
    expect(res.status).toBe(404);
  });

  test("a source wallet of another user → 404", async () => {
    const res = await transfer({ user_id: 'bob' });
    expect(res.status).toBe(404);
  });

  test('same wallet → 422', async () => {
    const res = await transfer({ to_wallet_id: Number(a) });
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe('invalid_request');
  });

  test('different currency → 422 currency_mismatch', async () => {
    const eur = await m.wallet('bob', 'EUR');
    const res = await transfer({ to_wallet_id: Number(eur) });
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe('currency_mismatch');
  });

  test('insufficient funds → 422', async () => {
    const res = await transfer({ amount: 100000 });
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe('insufficient_funds');
  });

  test('a suspended destination → 422 wallet_not_active', async () => {
    await m.setStatus('bob', b, 'suspended');
    try {
      const res = await transfer({});
      expect(res.status).toBe(422);
      expect(res.body.error.code).toBe('wallet_not_active');
    } finally {
      await m.setStatus('bob', b, 'active');
    }
  });

  test('bad amount and missing fields → 422, never 500', async () => {
    for (const amount of [0, -5, 1.001, '1e3', 'abc']) {
      const res = await transfer({ amount });
      expect(res.status).toBe(422);
    }
    const missing = await m.post('/wallet/transfer/', { env_id: Number(m.envId), user_id: 'alice', wallet_id: Number(a), amount: 1 });
    expect(missing.status).toBe(422);
    expect(missing.body.error.message).toMatch(/to_wallet_id/);
  });
});

test('opposite transfers between the same wallets at once never deadlock', async () => {
  const [a0, b0] = [BigInt(await m.balance(a)), BigInt(await m.balance(b))];
  const calls = [];
  for (let i = 0; i < 15; i++) {
    calls.push(transfer({ amount: 1 }));
    calls.push(m.post('/wallet/transfer/', { env_id: Number(m.envId), user_id: 'bob', wallet_id: Number(b), to_wallet_id: Number(a), amount: 2 }));
  }
  const results = await Promise.all(calls);
  expect(results.map((r) => r.status)).toEqual(results.map(() => 200));
  expect(BigInt(await m.balance(a))).toBe(a0 + 15n * 100n);
  expect(BigInt(await m.balance(b))).toBe(b0 - 15n * 100n);
});
