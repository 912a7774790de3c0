/**
 * The per-environment funding float (issue 10, §1): a topup draws the environment's
 * deposits down and is refused with 422 funding_limit_exceeded past them (moving
 * nothing), atomically under concurrency; payments and transfers never wait on the float;
 * withdrawals are capped per environment (422 withdrawal_limit_exceeded, nothing held),
 * atomically with the hold; the counters are checked against the postings by the
 * ledger's invariants; the dev environment has a float of at least 1,000,000,000.00.
 */
import request from 'supertest';
import { createWithdrawalActivities } from '../../src/activities/withdrawals';
import { DomainError } from '../../src/domain/errors';
import { ledgerStepId } from '../../src/domain/postings';
import { findWithdrawalById } from '../../src/db/queries/withdrawals';
import { deposit } from '../../src/db/deposits';
import { withTransaction, type Pool } from '../../src/db/pool';
import { getFunding, setCreditLine } from '../../src/db/queries/funding';
import { findLedgerViolations } from '../../src/db/queries/invariants';
import { createWallet } from '../../src/db/queries/wallets';
import { DEV_ENV_ID } from '../../scripts/dev-seed';
import { merchant } from '../helpers/api';
import { expectLedgerExact, newEnvironment, startTestContext, type TestContext } from '../helpers/stack';

let ctx: TestContext;

/** The id the withdrawal's workflow would post its release or settle under. */
const endId = async (withdrawalId: string, outcome: 'release' | 'settle') =>
  ledgerStepId((await findWithdrawalById(ctx.pool, withdrawalId))!.workflowId, outcome);
beforeAll(async () => {
  ctx = await startTestContext();
});
afterAll(async () => ctx.close());
afterEach(async () => expectLedgerExact(ctx.pool));

/** An environment whose USD float is `minor` cents (and nothing in other currencies). */
async function floatOf(minor: bigint, name = 'float') {
  return merchant(ctx, await newEnvironment(ctx.pool, name, [{ currency: 'USD', amount: minor }]));
}

async function funding(envId: string, currency: 'USD' | 'EUR' = 'USD') {
  return getFunding(ctx.pool, envId, currency);
}

async function ledgerRows(envId: string): Promise<number> {
  const { rows } = await ctx.pool.query<{ n: number }>('select count(*)::int as n from ledger_transactions where env_id = $1', [envId]);
  return rows[0]!.n;
}

const topup = (m: ReturnType<typeof merchant>, userId: string, walletId: string, amount: string) =>
  m.post('/wallet/topup/', { env_id: Number(m.envId), user_id: userId, wallet_id: Number(walletId), amount });

test('a topup beyond the float is refused with 422 funding_limit_exceeded and moves nothing', async () => {
  const m = await floatOf(100_00n);
  const w = await m.wallet('u1');
  expect((await topup(m, 'u1', w, '60.00')).status).toBe(200);
  const before = await ledgerRows(m.envId);

  const refused = await topup(m, 'u1', w, '40.01');
  expect(refused.status).toBe(422);
  expect(refused.body.error.code).toBe('funding_limit_exceeded');
  expect(refused.body.error.details).toMatchObject({ env_id: m.envId, currency: 'USD', available_minor: '4000', required_minor: '4001' });
  expect(await m.balance(w)).toBe('6000');
  expect(await ledgerRows(m.envId)).toBe(before); // no transaction, no posting, no event
  expect(await funding(m.envId)).toMatchObject({ deposited: '10000', used: '6000', available: '4000' });
  const { rows: events } = await ctx.pool.query(`select 1 from webhook_events where env_id = $1 and type = 'topup.completed'`, [m.envId]);
  expect(events).toHaveLength(1);

  // Exactly what is left still passes; then nothing more does.
  expect((await topup(m, 'u1', w, '40.00')).status).toBe(200);
  expect(await funding(m.envId)).toMatchObject({ used: '10000', available: '0' });
  expect((await topup(m, 'u1', w, '0.01')).body.error.code).toBe('funding_limit_exceeded');
  expect(await m.balance(w)).toBe('10000');
});

test('a new environment without a float, or a currency it never funded, moves nothing', async () => {
  const none = merchant(ctx, await newEnvironment(ctx.pool, 'unfunded', []));
  const w = await none.wallet('u1');
  const res = await topup(none, 'u1', w, '1.00');
  expect(res.status).toBe(422);
  expect(res.body.error.code).toBe('funding_limit_exceeded');
  expect(await none.balance(w)).toBe('0');

  const usdOnly = await floatOf(1_000_00n, 'usd only');
  const eur = await usdOnly.wallet('u2', 'EUR');
  expect((await topup(usdOnly, 'u2', eur, '1.00')).body.error.code).toBe('funding_limit_exceeded');
});

test('20 concurrent topups of 10.00 against a float of 100.00: exactly 10 pass, nothing is invented', async () => {
  const m = await floatOf(100_00n, 'race');
  const wallets = await Promise.all(['a', 'b', 'c', 'd'].map(async (u) => ({ u, id: await m.wallet(u) })));
  const results = await Promise.all(
    Array.from({ length: 20 }, (_, i) => {
      const w = wallets[i % wallets.length]!;
      return topup(m, w.u, w.id, '10.00');
    }),
  );
  const statuses = results.map((r) => r.status);
  expect(statuses.filter((s) => s === 200)).toHaveLength(10);
  expect(statuses.filter((s) => s === 422)).toHaveLength(10);
  for (const r of results.filter((x) => x.status === 422)) expect(r.body.error.code).toBe('funding_limit_exceeded');
  const total = (await Promise.all(wallets.map((w) => m.balance(w.id)))).reduce((s, b) => s + BigInt(b), 0n);
  expect(total).toBe(100_00n);
  expect(await funding(m.envId)).toMatchObject({ deposited: '10000', used: '10000', available: '0' });
});

test('a credit line lets topups take the float below zero, down to minus the line and no further', async () => {
  const m = await floatOf(100_00n, 'credit');
  await withTransaction(ctx.pool, (c) => setCreditLine(c, m.envId, 'USD', 50_00n));
  const w = await m.wallet('u1');
  expect((await topup(m, 'u1', w, '150.00')).status).toBe(200);
  expect((await topup(m, 'u1', w, '0.01')).body.error.code).toBe('funding_limit_exceeded');
  expect(await funding(m.envId)).toMatchObject({ deposited: '10000', used: '15000', creditLine: '5000', available: '0' });
  // Lowering the line below what is used is refused: the float would be overdrawn.
  expect(await withTransaction(ctx.pool, (c) => setCreditLine(c, m.envId, 'USD', 49_99n))).toBeNull();
});

test('payments and transfers never wait on the float: they pass while its row is locked', async () => {
  const m = await floatOf(1_000_00n, 'hot path');
  const a = await m.wallet('a');
  const b = await m.wallet('b');
  expect((await topup(m, 'a', a, '100.00')).status).toBe(200);
  const locker = await ctx.pool.connect();
  try {
    await locker.query('begin');
    await locker.query(`select * from environment_funding where env_id = $1 for update`, [m.envId]);
    const pay = await m.post('/wallet/payment/', { env_id: m.envId, user_id: 'a', wallet_id: a, amount: '10.00', product_id: 'p' });
    expect(pay.status).toBe(200);
    const moved = await m.post('/wallet/transfer/', { env_id: m.envId, user_id: 'a', wallet_id: a, to_wallet_id: b, amount: '5.00' });
    expect(moved.status).toBe(200);
  } finally {
    await locker.query('rollback');
    locker.release();
  }
  expect(await m.balance(a)).toBe('8500');
}, 30_000);

test('deposits are ledger postings (settlement → funding) and the counters are checked against them', async () => {
  const m = await floatOf(10_00n, 'verify');
  const done = await deposit(ctx.pool, { envId: m.envId, currency: 'USD', amount: 5_00n, idempotencyId: `deposit:${m.envId}:t1` });
  expect(done.funding).toMatchObject({ deposited: '1500', used: '0', available: '1500' });
  const again = await deposit(ctx.pool, { envId: m.envId, currency: 'USD', amount: 5_00n, idempotencyId: `deposit:${m.envId}:t1` });
  expect(again.replayed).toBe(true);
  expect((await funding(m.envId))!.deposited).toBe('1500');
  const { rows } = await ctx.pool.query(
    `select t.type, p.account, p.amount::text from ledger_postings p join ledger_transactions t on t.id = p.transaction_id
     where t.env_id = $1 order by p.id`,
    [m.envId],
  );
  expect(rows).toEqual([
    { type: 'deposit', account: 'settlement', amount: '-1000' },
    { type: 'deposit', account: 'funding', amount: '1000' },
    { type: 'deposit', account: 'settlement', amount: '-500' },
    { type: 'deposit', account: 'funding', amount: '500' },
  ]);

  // A counter that disagrees with the postings is an invariant violation (`ledger verify`).
  const client = await ctx.pool.connect();
  try {
    await client.query('begin');
    await client.query(`update environment_funding set used = used + 1 where env_id = $1`, [m.envId]);
    const violations = await findLedgerViolations(client as unknown as Pool);
    expect(violations.map((v) => v.rule)).toContain("each environment's funding float counters equal its funding postings (deposits; used by topups)");
    expect(violations.flatMap((v) => v.ids)).toContain(`${m.envId}:USD`);
  } finally {
    await client.query('rollback');
    client.release();
  }
});

describe('withdrawal limit', () => {
  /** Deposited 100.00 with a credit line of 100.00: wallets can hold more than the cap (100% of deposits). */
  async function overCredited(name: string, walletBalance: string) {
    const m = await floatOf(100_00n, name);
    await withTransaction(ctx.pool, (c) => setCreditLine(c, m.envId, 'USD', 100_00n));
    const w = await m.wallet('u1');
    expect((await topup(m, 'u1', w, walletBalance)).status).toBe(200);
    return { m, w };
  }

  test('withdrawals in flight past the share of deposits are refused with 422 withdrawal_limit_exceeded, nothing held', async () => {
    const { m, w } = await overCredited('cap', '150.00');
    const withdraw = (amount: string) => m.post('/wallet/withdraw/', { env_id: m.envId, user_id: 'u1', wallet_id: w, amount });
    const first = await withdraw('60.00');
    expect(first.status).toBe(200);
    const refused = await withdraw('40.01');
    expect(refused.status).toBe(422);
    expect(refused.body.error.code).toBe('withdrawal_limit_exceeded');
    expect(refused.body.error.details).toMatchObject({ limit_minor: '10000', counted_minor: '6000', available_minor: '4000', required_minor: '4001' });
    const { rows } = await ctx.pool.query<{ balance: string; held: string }>('select balance::text, held::text from wallets where id = $1', [w]);
    expect(rows[0]).toEqual({ balance: '9000', held: '6000' });
    const { rows: ws } = await ctx.pool.query('select id from withdrawals where env_id = $1', [m.envId]);
    expect(ws).toHaveLength(1);
    // Up to the cap still passes.
    expect((await withdraw('40.00')).status).toBe(200);
    expect((await withdraw('0.01')).body.error.code).toBe('withdrawal_limit_exceeded');
  }, 60_000);

  test('concurrent holds cannot both pass the limit: 10 holds of 20.00 against 100.00, exactly 5 hold', async () => {
    const { m, w } = await overCredited('cap race', '200.00');
    const acts = createWithdrawalActivities({ pool: ctx.pool });
    const stamp = Date.now();
    const results = await Promise.allSettled(
      Array.from({ length: 10 }, (_, i) =>
        acts.holdWithdrawal({ workflowId: `withdraw-cap-race-${stamp}-${i}`, idempotencyId: ledgerStepId(`withdraw-cap-race-${stamp}-${i}`, 'hold'), envId: m.envId, walletId: w, userId: 'u1', amount: '2000', currency: 'USD' }),
      ),
    );
    const held = results.filter((r) => r.status === 'fulfilled');
    const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(held).toHaveLength(5);
    for (const r of refused) expect((r.reason as DomainError).code).toBe('withdrawal_limit_exceeded');
    const { rows } = await ctx.pool.query<{ balance: string; held: string }>('select balance::text, held::text from wallets where id = $1', [w]);
    expect(rows[0]).toEqual({ balance: '10000', held: '10000' });

    // A retried hold whose first attempt committed answers it again, even at the limit.
    const again = await acts.holdWithdrawal({ workflowId: `withdraw-cap-race-${stamp}-${results.indexOf(held[0]!)}`, idempotencyId: ledgerStepId(`withdraw-cap-race-${stamp}-${results.indexOf(held[0]!)}`, 'hold'), envId: m.envId, walletId: w, userId: 'u1', amount: '2000', currency: 'USD' });
    expect(again.withdrawal.id).toBe((held[0] as PromiseFulfilledResult<typeof again>).value.withdrawal.id);

    // Finished withdrawals (released) no longer count; paid ones count for 24 h.
    const ids = held.map((r) => (r as PromiseFulfilledResult<typeof again>).value.withdrawal.id);
    await acts.finishWithdrawal({ withdrawalId: ids[0]!, seq: 1, step: 'funds_released', outcome: 'release', status: 'canceled', idempotencyId: await endId(ids[0]!, 'release') });
    await acts.finishWithdrawal({ withdrawalId: ids[1]!, seq: 1, step: 'paid_out', outcome: 'settle', status: 'paid', idempotencyId: await endId(ids[1]!, 'settle') });
    // A hold and the release that ends it name the same withdrawal, so they can be matched.
    const { rows: refs } = await ctx.pool.query<{ type: string; reference: string }>(
      `select t.type, t.reference from ledger_transactions t join withdrawals w on t.idempotency_id like w.workflow_id || ':%'
        where w.id = $1 order by t.id`,
      [ids[0]],
    );
    expect(refs).toEqual([{ type: 'hold', reference: `withdrawal:${ids[0]}` }, { type: 'release', reference: `withdrawal:${ids[0]}` }]);
    const after = await acts.holdWithdrawal({ workflowId: `withdraw-cap-race-${stamp}-after`, idempotencyId: ledgerStepId(`withdraw-cap-race-${stamp}-after`, 'hold'), envId: m.envId, walletId: w, userId: 'u1', amount: '2000', currency: 'USD' });
    await expect(
      acts.holdWithdrawal({ workflowId: `withdraw-cap-race-${stamp}-over`, idempotencyId: ledgerStepId(`withdraw-cap-race-${stamp}-over`, 'hold'), envId: m.envId, walletId: w, userId: 'u1', amount: '1', currency: 'USD' }),
    ).rejects.toMatchObject({ code: 'withdrawal_limit_exceeded' });
    // Release what is still held so the ledger stays tidy for the suite.
    for (const id of [...ids.slice(2), after.withdrawal.id]) {
      await acts.finishWithdrawal({ withdrawalId: id, seq: 1, step: 'funds_released', outcome: 'release', status: 'canceled', idempotencyId: await endId(id, 'release') });
    }
  });

  test('the share is configurable: 0.5 caps at half of what was deposited', async () => {
    const { m, w } = await overCredited('half', '100.00');
    const acts = createWithdrawalActivities({ pool: ctx.pool, withdrawalLimitShare: 0.5 });
    const stamp = Date.now();
    const hold = (i: number, amount: string) =>
      acts.holdWithdrawal({ workflowId: `withdraw-half-${stamp}-${i}`, idempotencyId: ledgerStepId(`withdraw-half-${stamp}-${i}`, 'hold'), envId: m.envId, walletId: w, userId: 'u1', amount, currency: 'USD' });
    const first = await hold(1, '5000');
    await expect(hold(2, '1')).rejects.toMatchObject({ code: 'withdrawal_limit_exceeded' });
    await acts.finishWithdrawal({ withdrawalId: first.withdrawal.id, seq: 1, step: 'funds_released', outcome: 'release', status: 'canceled', idempotencyId: await endId(first.withdrawal.id, 'release') });
  });
});

test("the dev environment (123) that `npm run dev` seeds has a float of at least 1,000,000,000.00", async () => {
  // Deposited, not left: other test files (the seed docs) top up env 123 during the run.
  const f = await funding(DEV_ENV_ID);
  expect(BigInt(f!.deposited)).toBeGreaterThanOrEqual(1_000_000_000_00n);
  const { rows } = await ctx.pool.query(`select 1 from environment_funding where env_id = $1 and deposited - used < 1000000000`, [DEV_ENV_ID]);
  expect(rows).toEqual([]); // every currency, with room for load tests
});

test('deposits into an environment that does not exist are refused', async () => {
  await expect(deposit(ctx.pool, { envId: '999999999', currency: 'USD', amount: 1n, idempotencyId: `deposit:nowhere:${Date.now()}` })).rejects.toThrow();
  // And wallets of an env with a float are unaffected by another's: floats are per environment.
  const a = await floatOf(10_00n, 'a');
  const b = await floatOf(10_00n, 'b');
  const wa = (await createWallet(ctx.pool, a.envId, 'x', 'USD')).wallet.id;
  expect((await topup(a, 'x', wa, '10.00')).status).toBe(200);
  expect((await funding(b.envId))!.available).toBe('1000');
});
