/** GET /wallet/{id}/transactions (keyset pages, newest first) and /wallet/{id}/balance?at=. */
import { withTransaction } from '../../src/db/pool';
import { explainWalletMovements } from '../../src/db/queries/history';
import { merchant } from '../helpers/api';
import { expectLedgerExact, newEnvironment, startTestContext, type TestContext } from '../helpers/stack';

let ctx: TestContext;
let m: ReturnType<typeof merchant>;
beforeAll(async () => {
  ctx = await startTestContext();
  m = merchant(ctx, await newEnvironment(ctx.pool));
});
afterEach(async () => expectLedgerExact(ctx.pool));
afterAll(async () => ctx.close());

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('every movement of the wallet, newest first, with type, signed amount and balance after', async () => {
  const w = await m.wallet('alice');
  const b = await m.wallet('bob');
  await m.topup('alice', w, 100);
  const order = (await m.pay('alice', w, 30, 'book')).body.order.id;
  await m.post('/wallet/transfer/', { env_id: Number(m.envId), user_id: 'alice', wallet_id: Number(w), to_wallet_id: Number(b), amount: 20, reference: 'gift' });
  await m.post('/wallet/refund/', { env_id: Number(m.envId), order_id: order, amount: 5 });

  const res = await m.get(`/wallet/${w}/transactions/`, { env_id: m.envId, user_id: 'alice' });
  expect(res.status).toBe(200);
  expect(res.body.next_cursor).toBeNull();
  expect(res.body.transactions.map((t: { type: string; amount: number; balance_after: number }) => [t.type, t.amount, t.balance_after])).toEqual([
    ['refund', 5, 55],
    ['transfer', -20, 50],
    ['payment', -30, 70],
    ['topup', 100, 100],
  ]);
  expect(res.body.transactions[1]).toMatchObject({ reference: 'gift', currency: 'USD', id: expect.stringMatching(/^[0-9]+$/) });
  expect(res.text).toContain('"amount":-20.00');

  const bobs = await m.get(`/wallet/${b}/transactions/`, { env_id: m.envId });
  expect(bobs.body.transactions).toEqual([expect.objectContaining({ type: 'transfer', amount: 20, balance_after: 20 })]);
});

test('refusals: another user 404, another environment 403, bad cursor / limit / timestamps 422', async () => {
  const w = await m.wallet('carol');
  expect((await m.get(`/wallet/${w}/transactions/`, { env_id: m.envId, user_id: 'dave' })).status).toBe(404);
  const other = await newEnvironment(ctx.pool, 'other');
  expect((await m.get(`/wallet/${w}/transactions/`, { env_id: other.envId })).status).toBe(403);
  for (const query of [{ cursor: 'abc' }, { limit: 0 }, { limit: 101 }, { from: 'yesterday' }, { to: '2025-13-45T99:00:00Z' }]) {
    const res = await m.get(`/wallet/${w}/transactions/`, { env_id: m.envId, ...query });
    expect(res.status).toBe(422);
  }
  expect((await m.get(`/wallet/${w}/balance/`, { env_id: m.envId, at: 'soon' })).status).toBe(422);
  expect((await m.get(`/wallet/999999999/balance/`, { env_id: m.envId })).status).toBe(404);
});

test('balance at an instant, from the ledger; from/to bound the history', async () => {
  const w = await m.wallet('erin');
  const t0 = new Date();
  await pause(30);
  await m.topup('erin', w, 10);
  await pause(30);
  const t1 = new Date();
  await pause(30);
  await m.topup('erin', w, 5);
  await pause(30);
  const t2 = new Date();
  await pause(30);
  await m.pay('erin', w, 3);
  await pause(30);
  const t3 = new Date();

  const at = async (t: Date) => (await m.get(`/wallet/${w}/balance/`, { env_id: m.envId, at: t.toISOString() })).body.balance;
  expect([await at(t0), await at(t1), await at(t2), await at(t3)]).toEqual([0, 10, 15, 12]);
  const unix = await m.get(`/wallet/${w}/balance/`, { env_id: m.envId, at: String(Math.floor(t0.getTime() / 1000) - 60) });
  expect(unix.body.balance).toBe(0);
  const now = await m.get(`/wallet/${w}/balance/`, { env_id: m.envId, user_id: 'erin' });
  expect(now.body).toMatchObject({ wallet_id: w, balance: 12, held: 0, currency: 'USD' });

  const window = await m.get(`/wallet/${w}/transactions/`, { env_id: m.envId, from: t1.toISOString(), to: t2.toISOString() });
  expect(window.body.transactions.map((t: { amount: number }) => t.amount)).toEqual([5]);
});

test('pages through 10,000 movements: every one exactly once, newest first', async () => {
  const w = await m.wallet('frank');
  const N = 10_000;
  // Seeded set-wise in SQL (10,000 posting-function calls take minutes on a busy
  // 2-core machine): topups of 1..N cents, postings and balance exactly as the posting
  // function would write them; the ledger invariants checked after each test vouch for it.
  await withTransaction(ctx.pool, async (client) => {
    await client.query(
      `with txs as (
         insert into ledger_transactions (idempotency_id, env_id, type, currency, amount)
         select 'history-seed-' || $2::text || '-' || g, $1, 'topup', 'USD', g from generate_series(1, $3::int) g
         returning id, amount
       ), wallet_legs as (
         insert into ledger_postings (transaction_id, env_id, currency, account, wallet_id, amount, balance_after)
         select id, $1, 'USD', 'wallet', $2::bigint, amount, amount * (amount + 1) / 2 from (select * from txs order by id) t
       )
       insert into ledger_postings (transaction_id, env_id, currency, account, amount)
       select id, $1, 'USD', 'funding', -amount from txs`,
      [m.envId, w, N],
    );
    await client.query('update wallets set balance = balance + $2 where id = $1', [w, (N * (N + 1)) / 2]);
    // The funding float's counter, as postTransaction would move it (ledger verify compares them).
    await client.query(`update environment_funding set used = used + $2 where env_id = $1 and currency = 'USD'`, [m.envId, (N * (N + 1)) / 2]);
  });
  const seen: number[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const res = await m.get(`/wallet/${w}/transactions/`, { env_id: m.envId, limit: 100, ...(cursor ? { cursor } : {}) });
    expect(res.status).toBe(200);
    for (const t of res.body.transactions) seen.push(Math.round(t.amount * 100));
    cursor = res.body.next_cursor;
    pages++;
  } while (cursor);
  expect(pages).toBe(100);
  expect(seen.length).toBe(N);
  expect(seen).toEqual(Array.from({ length: N }, (_, i) => N - i));

  // The route's own statement (imported, not a copy) reads the (wallet_id, id desc) index
  // `ledger_postings_wallet` on the first page, deep in this wallet's history, and for a
  // sparse wallet (a handful of postings among the table's thousands).
  await ctx.pool.query('analyze ledger_postings');
  const sparse = await m.wallet('grace');
  await m.topup('grace', sparse, 1);
  const middle = (await ctx.pool.query<{ id: string }>('select id from ledger_postings where wallet_id = $1 order by id desc offset 5000 limit 1', [w])).rows[0]!.id;
  for (const [walletId, cursor] of [[w, null], [w, middle], [sparse, null]] as const) {
    // As the route calls it: limit + 1, the cursor, no time bounds.
    const plan = (await explainWalletMovements(ctx.pool, { walletId, limit: 101, beforePostingId: cursor, from: null, to: null })).join('\n');
    expect({ walletId, cursor, plan }).toEqual({ walletId, cursor, plan: expect.stringMatching(/Index Scan using ledger_postings_wallet on ledger_postings p\b/) });
    expect(plan).not.toMatch(/Seq Scan on ledger_postings|Sort\b/);
  }
}, 120_000);
