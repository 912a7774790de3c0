/**
 * POST /wallet/batch (issue 12, part 4) against the real stack: atomic success and
 * refusal (index + code, nothing moved), non-atomic mixed results in order (across
 * chunks), the item limit, idempotent replay and key mismatch, the single routes' rules
 * per item, one webhook event per item that moved, and the ledger invariants.
 */
import { merchant } from '../helpers/api';
import { recordHistory } from '../helpers/record-history';
import { expectLedgerExact, newEnvironment, startTestContext, type TestContext } from '../helpers/stack';

let ctx: TestContext;
let m: ReturnType<typeof merchant>;
let a: string; // alice, USD
let b: string; // bob, USD
let eur: string; // bob, EUR
beforeAll(async () => {
  ctx = await startTestContext();
  m = merchant(ctx, await newEnvironment(ctx.pool, 'batch'));
  a = await m.wallet('alice');
  b = await m.wallet('bob');
  eur = await m.wallet('bob', 'EUR');
  await m.topup('alice', a, '500.00');
  await m.topup('bob', b, '500.00');
});
afterEach(async () => expectLedgerExact(ctx.pool));
afterAll(async () => ctx.close());

const batch = (atomic: boolean, items: Record<string, unknown>[], key?: string) => m.post('/wallet/batch/', { env_id: Number(m.envId), atomic, items }, key);
const transfer = (amount: number | string, extra: Record<string, unknown> = {}) => ({
  type: 'transfer', user_id: 'alice', wallet_id: Number(a), to_wallet_id: Number(b), amount, ...extra,
});
const balances = async () => [await m.balance(a), await m.balance(b)];
async function eventCount(): Promise<number> {
  const { rows } = await ctx.pool.query<{ n: string }>('select count(*) as n from webhook_events where env_id = $1', [m.envId]);
  return Number(rows[0]!.n);
}

test('atomic: every item moves, answers each item in order like its single route', async () => {
  const [ab, bb] = (await balances()).map(BigInt) as [bigint, bigint];
  const events = await eventCount();
  const res = await batch(true, [
    { type: 'topup', user_id: 'alice', wallet_id: Number(a), amount: 20 },
    transfer('12.50', { reference: 'rent' }),
    { type: 'payment', user_id: 'bob', wallet_id: Number(b), amount: 7.25, product_id: 'sku-1' },
  ]);
  expect(res.status).toBe(200);
  recordHistory('batch-atomic', res.headers['workflow-id'] as string);
  expect(res.body.batch).toMatchObject({ atomic: true, status: 'completed', item_count: 3, succeeded: 3, refused: 0 });
  const [topup, moved, paid] = res.body.items;
  expect(topup).toMatchObject({ index: 0, type: 'topup', status: 'succeeded', wallet: { id: a } });
  expect(topup.transaction_id).toMatch(/^\d+$/);
  expect(moved).toMatchObject({ index: 1, type: 'transfer', status: 'succeeded', transfer: { from_wallet_id: a, to_wallet_id: b, amount: 12.5, reference: 'rent' } });
  expect(paid).toMatchObject({ index: 2, type: 'payment', status: 'succeeded', order: { status: 'completed', product_id: 'sku-1', amount: 7.25 } });
  // Each item's wallet is as it stood after that item, amounts exact.
  expect(res.text).toContain('"amount":12.50');
  expect(moved.wallet.balance).toBe(Number(ab + 2000n - 1250n) / 100);
  expect(await balances()).toEqual([String(ab + 2000n - 1250n), String(bb + 1250n - 725n)]);
  expect(await eventCount()).toBe(events + 3);
  const { rows } = await ctx.pool.query(`select type from webhook_events where env_id = $1 order by id desc limit 3`, [m.envId]);
  expect(rows.map((r) => r.type).sort()).toEqual(['payment.completed', 'topup.completed', 'transfer.completed']);
});

test('atomic: one refused item refuses the batch with its index and code, and nothing moves', async () => {
  const before = await balances();
  const events = await eventCount();
  const orders = (await ctx.pool.query('select count(*) from orders where env_id = $1', [m.envId])).rows[0].count;
  const res = await batch(true, [
    transfer(1),
    { type: 'payment', user_id: 'bob', wallet_id: Number(b), amount: 2, product_id: 'sku-2' },
    transfer(1_000_000),
    transfer(2),
  ]);
  expect(res.status).toBe(422);
  const { rows: last } = await ctx.pool.query('select workflow_id, status, refusal from batches where env_id = $1 order by id desc limit 1', [m.envId]);
  expect(last[0]).toMatchObject({ status: 'refused', refusal: { index: 2, code: 'insufficient_funds' } });
  recordHistory('batch-atomic-refused', last[0].workflow_id);
  expect(res.body.error.code).toBe('batch_refused');
  expect(res.body.error.details).toMatchObject({ index: 2, code: 'insufficient_funds', details: { wallet_id: a } });
  expect(await balances()).toEqual(before);
  expect(await eventCount()).toBe(events);
  expect((await ctx.pool.query('select count(*) from orders where env_id = $1', [m.envId])).rows[0].count).toBe(orders);
});

test("atomic: a route check (another user's wallet) and a wallet status refuse it the same way", async () => {
  const before = await balances();
  const foreign = await batch(true, [transfer(1), transfer(1, { user_id: 'bob' })]);
  expect(foreign.status).toBe(422);
  expect(foreign.body.error.details).toMatchObject({ index: 1, code: 'not_found' });
  const c = await m.wallet('carol');
  await m.setStatus('carol', c, 'suspended');
  const suspended = await batch(true, [transfer(1), transfer(1, { to_wallet_id: Number(c) })]);
  expect(suspended.status).toBe(422);
  expect(suspended.body.error.details).toMatchObject({ index: 1, code: 'wallet_not_active' });
  expect(await balances()).toEqual(before);
});

test('non-atomic: each item on its own, results in order across chunks of 100', async () => {
  const [ab, bb] = (await balances()).map(BigInt) as [bigint, bigint];
  const events = await eventCount();
  // 150 items: two chunks. Refusals at 3 (funds), 57 (currency), 120 (another user's wallet).
  const items: Record<string, unknown>[] = Array.from({ length: 150 }, () => transfer('0.01'));
  items[3] = { type: 'payment', user_id: 'alice', wallet_id: Number(a), amount: 1_000_000, product_id: 'sku-3' };
  items[57] = transfer(1, { to_wallet_id: Number(eur) });
  items[120] = transfer(1, { user_id: 'bob' });
  items[149] = { type: 'topup', user_id: 'bob', wallet_id: Number(b), amount: 3 };
  const res = await batch(false, items);
  expect(res.status).toBe(200);
  recordHistory('batch-chunks', res.headers['workflow-id'] as string);
  expect(res.body.batch).toMatchObject({ atomic: false, status: 'completed', item_count: 150, succeeded: 147, refused: 3 });
  expect(res.body.items.map((i: { index: number }) => i.index)).toEqual(items.map((_, i) => i));
  const refused = res.body.items.filter((i: { status: string }) => i.status === 'refused');
  expect(refused.map((i: { index: number; error: { code: string } }) => [i.index, i.error.code])).toEqual([
    [3, 'insufficient_funds'],
    [57, 'currency_mismatch'],
    [120, 'not_found'],
  ]);
  expect(res.body.items[149]).toMatchObject({ type: 'topup', status: 'succeeded', wallet: { id: b } });
  // 146 transfers of 0.01 and one topup of 3.00 moved; nothing of the refused items.
  expect(await balances()).toEqual([String(ab - 146n), String(bb + 146n + 300n)]);
  expect(await eventCount()).toBe(events + 147);
});

test('non-atomic: a topup beyond the funding float is refused alone', async () => {
  const small = merchant(ctx, await newEnvironment(ctx.pool, 'batch-small', [{ currency: 'USD', amount: 10_00n }]));
  const w = await small.wallet('dora');
  const res = await small.post('/wallet/batch/', {
    env_id: Number(small.envId),
    atomic: false,
    items: [
      { type: 'topup', user_id: 'dora', wallet_id: Number(w), amount: 6 },
      { type: 'topup', user_id: 'dora', wallet_id: Number(w), amount: 6 },
      { type: 'topup', user_id: 'dora', wallet_id: Number(w), amount: 4 },
    ],
  });
  expect(res.status).toBe(200);
  expect(res.body.items.map((i: { status: string; error?: { code: string } }) => i.error?.code ?? i.status)).toEqual([
    'succeeded',
    'funding_limit_exceeded',
    'succeeded',
  ]);
  expect(await small.balance(w)).toBe('1000');
});

test('1,001 items → 422 naming items, nothing stored or moved', async () => {
  const before = await balances();
  const { rows: [count] } = await ctx.pool.query('select count(*) from batches where env_id = $1', [m.envId]);
  const res = await batch(true, Array.from({ length: 1001 }, () => transfer('0.01')));
  expect(res.status).toBe(422);
  expect(res.body.error.code).toBe('invalid_request');
  expect(res.body.error.message).toBe('items: must hold at most 1000 items');
  expect(await balances()).toEqual(before);
  expect((await ctx.pool.query('select count(*) from batches where env_id = $1', [m.envId])).rows[0]).toEqual(count);
});

test("items are validated by their single route's schema", async () => {
  const bad = await batch(false, [transfer(1), transfer('1.2.3')]);
  expect(bad.status).toBe(422);
  expect(bad.body.error.message).toMatch(/^items\.1\.amount: /);
  const unknown = await batch(false, [{ ...transfer(1), env_id: 1 }]);
  expect(unknown.status).toBe(422);
  expect(unknown.body.error.message).toBe('received unknown parameter: items.0.env_id');
  const type = await batch(false, [{ ...transfer(1), type: 'withdraw' }]);
  expect(type.status).toBe(422);
  expect(type.body.error.details.issues[0].path).toBe('items.0.type');
  expect((await batch(false, [])).status).toBe(422);
  const card = await batch(false, [{ type: 'topup', user_id: 'alice', wallet_id: Number(a), amount: 1, method: 'card' }]);
  expect(card.body.error.message).toBe('received unknown parameter: items.0.method');
});

test('the same Idempotency-Key replays the same answer and moves once; another body is 409', async () => {
  const key = `batch-${Date.now()}`;
  const items = [transfer('1.00'), { type: 'topup', user_id: 'bob', wallet_id: Number(b), amount: 1 }];
  const before = (await balances()).map(BigInt);
  const first = await batch(false, items, key);
  expect(first.status).toBe(200);
  const again = await batch(false, items, key);
  expect(again.status).toBe(200);
  expect(again.headers['idempotent-replayed']).toBe('true');
  expect(again.text).toBe(first.text);
  expect(again.headers['workflow-id']).toBe(first.headers['workflow-id']);
  expect(await balances()).toEqual([String(before[0]! - 100n), String(before[1]! + 200n)]);
  const other = await batch(false, [transfer('2.00')], key);
  expect(other.status).toBe(409);
  expect(other.body.error.code).toBe('idempotency_key_mismatch');
  // A refused atomic batch replays its 422 the same way.
  const refusedKey = `${key}-refused`;
  const refused = await batch(true, [transfer(1_000_000)], refusedKey);
  expect(refused.status).toBe(422);
  const refusedAgain = await batch(true, [transfer(1_000_000)], refusedKey);
  expect(refusedAgain.status).toBe(422);
  expect(refusedAgain.text).toBe(refused.text);
});

test('twin requests with one key run one batch', async () => {
  const key = `batch-twins-${Date.now()}`;
  const before = (await balances()).map(BigInt);
  const [x, y] = await Promise.all([batch(true, [transfer('3.00')], key), batch(true, [transfer('3.00')], key)]);
  expect([x.status, y.status]).toEqual([200, 200]);
  expect(x.body.items).toEqual(y.body.items);
  expect(await balances()).toEqual([String(before[0]! - 300n), String(before[1]! + 300n)]);
  const { rows } = await ctx.pool.query('select count(*)::int as n from batches where workflow_id = $1', [x.headers['workflow-id']]);
  expect(rows[0].n).toBe(1);
});

test('a batch body over 1 MB → 413; other routes keep 64 kB', async () => {
  const huge = await batch(true, [transfer(1, { reference: 'x'.repeat(200) })].concat(Array.from({ length: 999 }, () => transfer(1, { reference: 'y'.repeat(255) }))).map((i) => ({ ...i, padding: 'z'.repeat(800) })));
  expect(huge.status).toBe(413);
  expect(huge.body.error).toMatchObject({ code: 'payload_too_large', message: 'request body is larger than 1 MB' });
  // Under 1 MB but over 64 kB: accepted by the batch route (here refused only for its content).
  const big = await batch(false, Array.from({ length: 1000 }, () => transfer('0.01', { reference: 'r'.repeat(100) })).concat([transfer('1.2.3')]));
  expect(big.status).toBe(422);
  expect(big.body.error.code).toBe('invalid_request');
});
