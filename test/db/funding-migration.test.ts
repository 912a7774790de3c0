/**
 * Migration 006 on a database that already has topups (made when nothing bounded them):
 * each environment's past topups are covered by an opening deposit of exactly what they
 * used, so the ledger's invariants hold at once and the float is at 0 (nothing new moves
 * until an operator funds it). Runs on a database of its own.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client as PgClient } from 'pg';
import { migrate } from '../../src/db/migrate';
import { createPool, withTransaction, type Pool } from '../../src/db/pool';
import { postTransaction } from '../../src/db/ledger';
import { getFunding } from '../../src/db/queries/funding';
import { findLedgerViolations } from '../../src/db/queries/invariants';
import { createDatabase, LOCAL_POSTGRES, ROOT } from '../../scripts/stack';

const name = `${process.env.PAYNOCCHIO_TEST_DB ?? 'paynocchio_test'}_mig006`;
let pool: Pool;
let url: string;

beforeAll(async () => {
  url = await createDatabase(process.env.DATABASE_URL ? new URL('/postgres', process.env.DATABASE_URL).toString() : LOCAL_POSTGRES, name, true);
  pool = createPool(url, 2);
});
afterAll(async () => {
  await pool.end();
  const dropper = new PgClient({ connectionString: new URL('/postgres', url).toString() });
  await dropper.connect();
  await dropper.query(`drop database if exists "${name}" with (force)`).finally(() => dropper.end());
});

test('past topups get an opening deposit: invariants hold, the float is 0, topups are refused until funded', async () => {
  // The schema as it was before 006, applied by hand and recorded as applied.
  const dir = join(ROOT, 'src/db/migrations');
  await pool.query('create table schema_migrations (name text primary key, applied_at timestamptz not null default now())');
  for (const file of readdirSync(dir).filter((f) => /^\d{3}_.+\.sql$/.test(f) && f < '006').sort()) {
    await pool.query(readFileSync(join(dir, file), 'utf8'));
    await pool.query('insert into schema_migrations (name) values ($1)', [file]);
  }
  // Old-style topups, written as the old code did (no float).
  await pool.query(`insert into environments (id, name) values (1, 'old'), (2, 'untouched')`);
  await pool.query(`insert into wallets (id, env_id, user_id, currency) values (11, 1, 'u', 'USD'), (12, 1, 'v', 'EUR')`);
  const old = async (id: string, walletId: string, currency: string, amount: number, balanceAfter: number) => {
    const { rows } = await pool.query<{ id: string }>(
      `insert into ledger_transactions (idempotency_id, env_id, type, currency, amount) values ($1, 1, 'topup', $2, $3) returning id`,
      [id, currency, amount],
    );
    await pool.query(
      `insert into ledger_postings (transaction_id, env_id, currency, account, wallet_id, amount, balance_after)
       values ($1, 1, $2, 'wallet', $3, $4, $5), ($1, 1, $2, 'funding', null, -$4::bigint, null)`,
      [rows[0]!.id, currency, walletId, amount, balanceAfter],
    );
  };
  await old('t1', '11', 'USD', 700, 700);
  await old('t2', '11', 'USD', 300, 1000);
  await old('t3', '12', 'EUR', 50, 50);
  await pool.query(`update wallets set balance = 1000 where id = 11`);
  await pool.query(`update wallets set balance = 50 where id = 12`);

  await migrate(pool);

  expect(await findLedgerViolations(pool)).toEqual([]);
  expect(await getFunding(pool, '1', 'USD')).toMatchObject({ deposited: '1000', used: '1000', available: '0' });
  expect(await getFunding(pool, '1', 'EUR')).toMatchObject({ deposited: '50', used: '50', available: '0' });
  expect(await getFunding(pool, '2', 'USD')).toBeNull();
  const { rows } = await pool.query(
    `select t.type, t.currency, p.account, p.amount::text from ledger_transactions t join ledger_postings p on p.transaction_id = t.id
     where t.type = 'deposit' order by t.currency, p.account`,
  );
  expect(rows).toEqual([
    { type: 'deposit', currency: 'EUR', account: 'funding', amount: '50' },
    { type: 'deposit', currency: 'EUR', account: 'settlement', amount: '-50' },
    { type: 'deposit', currency: 'USD', account: 'funding', amount: '1000' },
    { type: 'deposit', currency: 'USD', account: 'settlement', amount: '-1000' },
  ]);

  const topup = (id: string) =>
    withTransaction(pool, (c) =>
      postTransaction(c, {
        idempotencyId: id,
        envId: '1',
        currency: 'USD',
        type: 'topup',
        amount: 1n,
        legs: [
          { account: 'wallet', walletId: '11', amount: 1n },
          { account: 'funding', amount: -1n },
        ],
        requireActive: true,
      }),
    );
  await expect(topup('t4')).rejects.toMatchObject({ code: 'funding_limit_exceeded' });
}, 60_000);
