/**
 * The ledger's rules held by Postgres itself (migration 009), each tried by writing the
 * bad SQL directly, past postTransaction: unbalanced or incomplete transactions refused
 * at COMMIT, postings in another environment or currency than their wallet refused,
 * ledger_transactions immutable, TRUNCATE refused on both tables.
 */
import { Client as PgClient, type PoolClient } from 'pg';
import { createDatabase, LOCAL_POSTGRES } from '../../scripts/stack';
import { migrate } from '../../src/db/migrate';
import { postTransaction } from '../../src/db/ledger';
import { createPool, withTransaction, type Pool } from '../../src/db/pool';
import { createWallet } from '../../src/db/queries/wallets';
import { expectLedgerExact, newEnvironment, readStack } from '../helpers/stack';

let pool: Pool;
let envId: string;
let otherEnvId: string;
let seq = 0;
beforeAll(async () => {
  pool = createPool(readStack().databaseUrl, 5);
  ({ envId } = await newEnvironment(pool, 'ledger-rules'));
  ({ envId: otherEnvId } = await newEnvironment(pool, 'ledger-rules-other'));
});
afterAll(async () => {
  await expectLedgerExact(pool);
  await pool.end();
});

/** Runs statements in one SQL transaction and commits; the error of whichever step fails, or null. */
async function inTransaction(steps: (c: PoolClient) => Promise<unknown>): Promise<{ step: 'statement' | 'commit'; error: Error & { code?: string } } | null> {
  const c = await pool.connect();
  try {
    await c.query('begin');
    try {
      await steps(c);
    } catch (error) {
      await c.query('rollback');
      return { step: 'statement', error: error as Error };
    }
    try {
      await c.query('commit');
    } catch (error) {
      return { step: 'commit', error: error as Error };
    }
    return null;
  } finally {
    c.release();
  }
}

async function newTransaction(c: PoolClient, currency = 'USD', env = envId): Promise<string> {
  const { rows } = await c.query<{ id: string }>(
    `insert into ledger_transactions (idempotency_id, env_id, type, currency, amount) values ($1, $2, 'topup', $3, 5) returning id`,
    [`rules-${++seq}-${Date.now()}`, env, currency],
  );
  return rows[0]!.id;
}

/**
 * A posting on a system account (no wallet row to keep in step). The tests use paid_out and
 * revenue: a hand-written posting on `funding` would bypass the float's counter, which the
 * suite's invariants compare with the funding postings after every file.
 */
function systemPosting(c: PoolClient, txId: string, account: string, amount: number, currency = 'USD', env = envId) {
  return c.query(`insert into ledger_postings (transaction_id, env_id, currency, account, amount) values ($1, $2, $3, $4, $5)`, [
    txId,
    env,
    currency,
    account,
    amount,
  ]);
}

async function countTransactions(): Promise<number> {
  const { rows } = await pool.query<{ n: string }>(`select count(*) as n from ledger_transactions where env_id = $1`, [envId]);
  return Number(rows[0]!.n);
}

test('a balanced transaction written by hand commits (the rules refuse only what breaks the books)', async () => {
  const before = await countTransactions();
  expect(
    await inTransaction(async (c) => {
      const tx = await newTransaction(c);
      await systemPosting(c, tx, 'paid_out', -5);
      await systemPosting(c, tx, 'revenue', 5);
    }),
  ).toBeNull();
  expect(await countTransactions()).toBe(before + 1);
});

test('postings that do not sum to zero are accepted statement by statement and refused at COMMIT', async () => {
  const before = await countTransactions();
  const failed = await inTransaction(async (c) => {
    const tx = await newTransaction(c);
    await systemPosting(c, tx, 'paid_out', -5);
    await systemPosting(c, tx, 'revenue', 4);
  });
  expect(failed?.step).toBe('commit');
  expect(failed?.error.code).toBe('23514');
  expect(failed?.error.message).toMatch(/sum to -1, not zero/);
  expect(await countTransactions()).toBe(before);
});

test('a transaction with one posting, or none, is refused at COMMIT', async () => {
  const none = await inTransaction(async (c) => newTransaction(c));
  expect(none?.step).toBe('commit');
  expect(none?.error.message).toMatch(/has 0 posting\(s\); a transaction needs at least two/);

  // One posting cannot sum to zero (amounts are never 0): refused either way.
  const one = await inTransaction(async (c) => systemPosting(c, await newTransaction(c), 'paid_out', -5));
  expect(one?.step).toBe('commit');
  expect(one?.error.message).toMatch(/has 1 posting\(s\)/);
});

test('postings in another currency or environment than their transaction are refused at COMMIT, even when they sum to zero', async () => {
  const currency = await inTransaction(async (c) => {
    const tx = await newTransaction(c, 'USD');
    await systemPosting(c, tx, 'paid_out', -5, 'EUR');
    await systemPosting(c, tx, 'revenue', 5, 'EUR');
  });
  expect(currency?.step).toBe('commit');
  expect(currency?.error.message).toMatch(/outside its environment/);

  const env = await inTransaction(async (c) => {
    const tx = await newTransaction(c, 'USD', envId);
    await systemPosting(c, tx, 'paid_out', -5, 'USD', otherEnvId);
    await systemPosting(c, tx, 'revenue', 5, 'USD', otherEnvId);
  });
  expect(env?.step).toBe('commit');
  expect(env?.error.message).toMatch(/outside its environment/);
});

test('a posting added to a transaction committed earlier is checked with it', async () => {
  let tx = '';
  expect(
    await inTransaction(async (c) => {
      tx = await newTransaction(c);
      await systemPosting(c, tx, 'paid_out', -5);
      await systemPosting(c, tx, 'revenue', 5);
    }),
  ).toBeNull();
  const later = await inTransaction((c) => systemPosting(c, tx, 'revenue', 7));
  expect(later?.step).toBe('commit');
  expect(later?.error.message).toMatch(new RegExp(`ledger transaction ${tx} sum to 7`));
});

test('a posting added after the check already ran (SET CONSTRAINTS ... IMMEDIATE) is checked again at COMMIT', async () => {
  const failed = await inTransaction(async (c) => {
    const tx = await newTransaction(c);
    await systemPosting(c, tx, 'paid_out', -5);
    await systemPosting(c, tx, 'revenue', 5);
    await c.query('set constraints all immediate'); // the check runs now, and passes
    await c.query('set constraints all deferred');
    await systemPosting(c, tx, 'revenue', 1);
  });
  expect(failed?.step).toBe('commit');
  expect(failed?.error.message).toMatch(/sum to 1, not zero/);
});

test('one unbalanced transaction among thousands written set-wise (as the bench seeds history) fails the whole commit', async () => {
  const before = await countTransactions();
  const insertMany = (c: PoolClient, n: number, badAt: number) =>
    c.query(
      `with tx as (
         insert into ledger_transactions (idempotency_id, env_id, type, currency, amount)
         select 'rules-many-' || $3::text || '-' || g, $1, 'topup', 'USD', 1 from generate_series(1, $2::int) g
         returning id, split_part(idempotency_id, '-', 4)::int as n
       )
       insert into ledger_postings (transaction_id, env_id, currency, account, amount)
       select tx.id, $1, 'USD', leg.account, case when tx.n = $4 and leg.account = 'revenue' then 2 else leg.amount end
       from tx cross join lateral (values ('paid_out', -1), ('revenue', 1)) as leg(account, amount)`,
      [envId, n, `${++seq}${Date.now()}`, badAt],
    );
  const bad = await inTransaction((c) => insertMany(c, 3000, 2999));
  expect(bad?.step).toBe('commit');
  expect(bad?.error.message).toMatch(/sum to 1, not zero/);
  expect(await countTransactions()).toBe(before);
  // The same without the bad one commits: 3000 transactions, 6000 postings.
  expect(await inTransaction((c) => insertMany(c, 3000, 0))).toBeNull();
  expect(await countTransactions()).toBe(before + 3000);
});

test("a wallet posting in another environment or currency than its wallet's is refused", async () => {
  const { wallet } = await createWallet(pool, envId, `rules-${++seq}`, 'USD');
  const { wallet: otherEnvWallet } = await createWallet(pool, otherEnvId, `rules-${++seq}`, 'USD');
  for (const [walletId, env, currency] of [
    [wallet.id, envId, 'EUR'], // the wallet holds USD
    [otherEnvWallet.id, envId, 'USD'], // the wallet belongs to the other environment
  ] as const) {
    const failed = await inTransaction(async (c) => {
      const tx = await newTransaction(c, currency, env);
      await c.query(
        `insert into ledger_postings (transaction_id, env_id, currency, account, wallet_id, amount, balance_after)
         values ($1, $2, $3, 'wallet', $4, 5, 5)`,
        [tx, env, currency, walletId],
      );
      await systemPosting(c, tx, 'paid_out', -5, currency, env);
    });
    expect(failed?.step).toBe('statement');
    expect(failed?.error.code).toBe('23503');
    expect(failed?.error.message).toMatch(/ledger_postings_wallet_env_currency/);
  }
  // And a wallet's currency cannot change under its postings.
  await withTransaction(pool, (c) =>
    postTransaction(c, {
      idempotencyId: `rules-wallet-${wallet.id}`, envId, currency: 'USD', type: 'topup', amount: 5n, requireActive: true,
      legs: [{ account: 'wallet', walletId: wallet.id, amount: 5n }, { account: 'funding', amount: -5n }],
    }),
  );
  await expect(pool.query(`update wallets set currency = 'EUR' where id = $1`, [wallet.id])).rejects.toThrow(/ledger_postings_wallet_env_currency/);
});

test('ledger transactions are immutable: UPDATE and DELETE are refused', async () => {
  const { wallet } = await createWallet(pool, envId, `rules-${++seq}`, 'USD');
  const { transactionId } = await withTransaction(pool, (c) =>
    postTransaction(c, {
      idempotencyId: `rules-immutable-${wallet.id}`, envId, currency: 'USD', type: 'topup', amount: 9n, requireActive: true,
      legs: [{ account: 'wallet', walletId: wallet.id, amount: 9n }, { account: 'funding', amount: -9n }],
    }),
  );
  await expect(pool.query(`update ledger_transactions set amount = 1 where id = $1`, [transactionId])).rejects.toThrow(/ledger transactions are immutable/);
  await expect(pool.query(`update ledger_transactions set reference = 'x' where id = $1`, [transactionId])).rejects.toThrow(/immutable/);
  await expect(pool.query(`delete from ledger_transactions where id = $1`, [transactionId])).rejects.toThrow(/ledger transactions are immutable/);
  const { rows } = await pool.query(`select amount, reference from ledger_transactions where id = $1`, [transactionId]);
  expect(rows).toEqual([{ amount: '9', reference: null }]);
});

test('TRUNCATE is refused on both ledger tables, also as a cascade', async () => {
  // In a throwaway database: TRUNCATE takes an ACCESS EXCLUSIVE lock before its trigger
  // refuses it, and in the suite's database it queued behind (and then blocked) every other
  // file's postings and the worker's sealer, until its lock_timeout (a CI run failed so).
  const name = `${process.env.PAYNOCCHIO_TEST_DB ?? 'paynocchio_test'}_truncate`;
  const url = await createDatabase(process.env.DATABASE_URL ? new URL('/postgres', process.env.DATABASE_URL).toString() : LOCAL_POSTGRES, name, true);
  const own = createPool(url, 2);
  try {
    await migrate(own);
    await newEnvironment(own, 'truncate'); // its deposits are postings
    for (const statement of ['truncate ledger_postings', 'truncate ledger_transactions cascade']) {
      await expect(own.query(statement)).rejects.toThrow(/the ledger cannot be truncated/);
    }
    const { rows } = await own.query<{ n: string }>('select count(*) as n from ledger_postings');
    expect(Number(rows[0]!.n)).toBeGreaterThan(0);
  } finally {
    await own.end();
    const dropper = new PgClient({ connectionString: new URL('/postgres', url).toString() });
    await dropper.connect();
    await dropper.query(`drop database if exists "${name}" with (force)`).finally(() => dropper.end());
  }
});
