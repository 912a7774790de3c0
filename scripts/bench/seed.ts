/**
 * Bench data, written with SQL directly (never through HTTP): its own environment,
 * sets of wallets with opening balances, and a wallet with a long history.
 *
 * Opening balances go through postTransaction like every other movement, but as ONE
 * call per batch of wallets (one leg per wallet plus one funding leg), so 100,000
 * wallets take a few statements, not 400,000. The long history (1M postings) is
 * generated with generate_series in SQL: it only needs to exist, not to be realistic
 * movement by movement, and each wallet posting still carries a true balance_after.
 */
import { writeFileSync } from 'node:fs';
import { postTransaction } from '../../src/db/ledger';
import { withTransaction, type Pool } from '../../src/db/pool';
import { createFundedEnvironment } from '../../src/db/deposits';

export interface WalletSet {
  name: string;
  count: number;
  /** [[walletId, userId], ...] for the driver */
  file: string;
}

const BATCH = 10_000;
/** 1,000,000.00 USD each: enough for every payment a run can make. */
export const OPENING_MINOR = 100_000_000n;

/**
 * The bench environment's funding float (one deposit at creation): 100 trillion USD,
 * far more than every opening balance (≈10^13 minor units at 100,000 wallets) and every
 * topup a run makes, so the float never refuses a bench request.
 */
export const BENCH_FLOAT_MINOR = 10n ** 16n;

export async function createBenchEnvironment(pool: Pool): Promise<{ envId: string; secret: string }> {
  const { id, secret } = await createFundedEnvironment(pool, `bench ${new Date().toISOString()}`, [
    { currency: 'USD', amount: BENCH_FLOAT_MINOR },
  ]);
  return { envId: id, secret };
}

export async function seedWallets(pool: Pool, envId: string, name: string, count: number, dir: string): Promise<WalletSet> {
  const all: [string, string][] = [];
  for (let from = 0; from < count; from += BATCH) {
    const size = Math.min(BATCH, count - from);
    await withTransaction(pool, async (client) => {
      const { rows } = await client.query<{ id: string; user_id: string }>(
        `insert into wallets (env_id, user_id, currency)
         select $1, $2 || g, 'USD' from generate_series($3::int, $4::int) g
         returning id, user_id`,
        [envId, `${name}-`, from, from + size - 1],
      );
      await postTransaction(client, {
        idempotencyId: `bench-seed:${envId}:${name}:${from}`,
        envId,
        currency: 'USD',
        type: 'topup',
        amount: OPENING_MINOR * BigInt(rows.length),
        reference: 'bench opening balances',
        legs: [
          ...rows.map((r) => ({ account: 'wallet' as const, walletId: r.id, amount: OPENING_MINOR })),
          { account: 'funding' as const, amount: -OPENING_MINOR * BigInt(rows.length) },
        ],
        requireActive: true,
      });
      for (const r of rows) all.push([r.id, r.user_id]);
    });
  }
  const file = `${dir}/wallets-${name}.json`;
  writeFileSync(file, JSON.stringify(all));
  return { name, count, file };
}

/**
 * Gives one new wallet (dense) `count` topup postings of 0.01 and another (sparse)
 * `sparse` of them spread evenly among the dense wallet's (one every count/sparse), plus
 * their funding legs, one ledger transaction each, in SQL (ids follow the interleaved
 * order). Returns both wallets' ids.
 */
export async function seedHistory(pool: Pool, envId: string, count: number, sparse: number): Promise<{ walletId: string; sparseWalletId: string }> {
  return withTransaction(pool, async (client) => {
    const { rows } = await client.query<{ id: string }>(
      `insert into wallets (env_id, user_id, currency) values ($1, 'history', 'USD'), ($1, 'history-sparse', 'USD') returning id`,
      [envId],
    );
    const [walletId, sparseWalletId] = [rows[0]!.id, rows[1]!.id];
    // pos orders the transactions: the dense wallet's n-th at 2n, the sparse wallet's k-th
    // at 2·k·(count/sparse)+1, just after the dense posting it follows.
    await client.query(
      `with plan as (
         select 2 * g::bigint as pos, $2::bigint as wallet_id, g::bigint as n from generate_series(1, $3::int) g
         union all
         select 2 * (k::bigint * greatest($3::int / greatest($5::int, 1), 1)) + 1, $4::bigint, k::bigint from generate_series(1, $5::int) k
       ), tx as (
         insert into ledger_transactions (idempotency_id, env_id, type, currency, amount, reference)
         select 'bench-history:' || wallet_id::text || ':' || n, $1, 'topup', 'USD', 1, 'bench history'
         from plan order by pos
         returning id, split_part(idempotency_id, ':', 2)::bigint as wallet_id, split_part(idempotency_id, ':', 3)::bigint as n
       )
       insert into ledger_postings (transaction_id, env_id, currency, account, wallet_id, amount, balance_after)
       select tx.id, $1, 'USD', leg.account, leg.wallet_id, leg.amount, leg.balance_after
       from tx cross join lateral (values ('wallet', tx.wallet_id, 1::bigint, tx.n), ('funding', null::bigint, -1::bigint, null::bigint))
         as leg(account, wallet_id, amount, balance_after)
       order by tx.id, leg.account desc`,
      [envId, walletId, count, sparseWalletId, sparse],
    );
    await client.query('update wallets set balance = $2, updated_at = now() where id = $1', [walletId, count]);
    await client.query('update wallets set balance = $2, updated_at = now() where id = $1', [sparseWalletId, sparse]);
    // Written around postTransaction, so the float's counter is moved here too (ledger verify compares them).
    await client.query(`update environment_funding set used = used + $2, updated_at = now() where env_id = $1 and currency = 'USD'`, [
      envId,
      count + sparse,
    ]);
    return { walletId, sparseWalletId };
  }).then(async (seeded) => {
    await pool.query('analyze ledger_postings');
    return seeded;
  });
}
