/**
 * The tamper-evident ledger (issue 14, section 2; migration 015, src/db/ledger-chain.ts):
 * the seal is the only change the database lets through on a ledger transaction, once;
 * a transaction that commits late (lower id, committed after a higher one was sealed) is
 * sealed later without breaking the chain; concurrent sealers keep one chain; and
 * `ledger verify` names the first broken link after a posting is edited past the
 * immutability trigger (in a throwaway database: the suite's own must stay intact).
 */
import type { PoolClient } from 'pg';
import { Client as PgClient } from 'pg';
import { runAdmin, type AdminDeps } from '../../src/admin/commands';
import { postTransaction, type PostingRequest } from '../../src/db/ledger';
import { canonicalContent, chainHash, ledgerHead, sealLedger, verifyLedgerChains } from '../../src/db/ledger-chain';
import { migrate } from '../../src/db/migrate';
import { createPool, withTransaction, type Pool } from '../../src/db/pool';
import { createWallet } from '../../src/db/queries/wallets';
import { createDatabase, LOCAL_POSTGRES } from '../../scripts/stack';
import { expectLedgerExact, newEnvironment, readStack } from '../helpers/stack';

let pool: Pool;
let seq = 0;
beforeAll(async () => {
  pool = createPool(readStack().databaseUrl, 6);
});
afterAll(async () => {
  await expectLedgerExact(pool);
  expect(await verifyLedgerChains(pool)).toEqual([]);
  await pool.end();
});

function topup(envId: string, walletId: string, amount: bigint): PostingRequest {
  return {
    idempotencyId: `chain-${process.pid}-${Date.now()}-${++seq}`,
    envId,
    currency: 'USD',
    type: 'topup',
    amount,
    legs: [
      { account: 'funding', amount: -amount },
      { account: 'wallet', walletId, amount },
    ],
    requireActive: true,
  };
}

async function newWallet(p: Pool, name: string): Promise<{ envId: string; walletId: string }> {
  const { envId } = await newEnvironment(p, name);
  const { wallet } = await createWallet(p, envId, 'u', 'USD');
  return { envId, walletId: wallet.id };
}

async function row(p: Pool, id: string) {
  const { rows } = await p.query(`select seal_seq::text, prev_hash, hash, sealed_at, reference from ledger_transactions where id = $1`, [id]);
  return rows[0]!;
}

/** The error of running steps in one SQL transaction (rolled back either way), or null. */
async function attempt(steps: (c: PoolClient) => Promise<unknown>): Promise<(Error & { code?: string }) | null> {
  const c = await pool.connect();
  try {
    await c.query('begin');
    try {
      await steps(c);
      return null;
    } catch (error) {
      return error as Error;
    } finally {
      await c.query('rollback');
    }
  } finally {
    c.release();
  }
}

test('a sealed transaction: seal_seq, prev_hash and hash chain it to the previous one; the hash is its canonical content', async () => {
  const { envId, walletId } = await newWallet(pool, 'chain-seal');
  const a = await withTransaction(pool, (c) => postTransaction(c, topup(envId, walletId, 500n)));
  const b = await withTransaction(pool, (c) => postTransaction(c, topup(envId, walletId, 700n)));
  await sealLedger(pool, { envId, wait: true }); // the worker's sealer may have been first: either way both are sealed
  const links = (
    await pool.query(
      `select t.id::text, t.seal_seq::text, t.prev_hash, t.hash from ledger_transactions t where t.env_id = $1 order by t.seal_seq`,
      [envId],
    )
  ).rows;
  expect(links.every((l) => l.seal_seq !== null)).toBe(true);
  // The environment's deposits came first; seal_seq counts 1, 2, 3, … and each prev_hash is the previous hash.
  links.forEach((l, i) => {
    expect(l.seal_seq).toBe(String(i + 1));
    expect(l.prev_hash).toBe(i === 0 ? null : links[i - 1]!.hash);
    expect(l.hash).toMatch(/^[0-9a-f]{64}$/);
  });
  const ra = await row(pool, a.transactionId);
  const rb = await row(pool, b.transactionId);
  expect(Number(rb.seal_seq)).toBe(Number(ra.seal_seq) + 1);
  expect(rb.prev_hash).toBe(ra.hash);
  // Recomputed from the rows by hand: the documented canonical form.
  const tx = (
    await pool.query(
      `select id::text, env_id::text, type, currency, amount::text, reference, idempotency_id,
              to_char(created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as created_at
       from ledger_transactions where id = $1`,
      [b.transactionId],
    )
  ).rows[0];
  const postings = (
    await pool.query(`select id::text, transaction_id::text, account, wallet_id::text, amount::text from ledger_postings where transaction_id = $1`, [
      b.transactionId,
    ])
  ).rows;
  expect(postings).toHaveLength(2);
  expect(chainHash(ra.hash, canonicalContent(tx, postings))).toBe(rb.hash);
  expect(await ledgerHead(pool, envId)).toMatchObject({ transactionId: b.transactionId, sealSeq: rb.seal_seq, hash: rb.hash });
  expect(await verifyLedgerChains(pool, { envId })).toEqual([]);
});

test('the database lets the seal through once, from NULL, and refuses a second seal or any other change', async () => {
  const { envId, walletId } = await newWallet(pool, 'chain-trigger');
  const t = await withTransaction(pool, (c) => postTransaction(c, topup(envId, walletId, 100n)));
  await sealLedger(pool, { envId, wait: true });
  const sealed = await row(pool, t.transactionId);
  expect(sealed.seal_seq).not.toBeNull();

  // A second seal (even to the same values' neighbour), a changed seal column, another column, a delete: refused.
  for (const sql of [
    `update ledger_transactions set seal_seq = seal_seq + 1000, hash = hash, sealed_at = now() where id = $1`,
    `update ledger_transactions set hash = repeat('0', 64) where id = $1`,
    `update ledger_transactions set prev_hash = null, seal_seq = null, hash = null, sealed_at = null where id = $1`,
    `update ledger_transactions set reference = 'edited' where id = $1`,
    `delete from ledger_transactions where id = $1`,
  ]) {
    const error = await attempt((c) => c.query(sql, [t.transactionId]));
    expect(error?.message).toMatch(/ledger transactions are immutable/);
  }
  expect(await row(pool, t.transactionId)).toEqual(sealed);

  // An unsealed transaction (inside its own, uncommitted SQL transaction, out of the
  // worker sealer's sight): the seal alone passes; the seal with any other column does not;
  // another column alone does not.
  const inOwn = async (c: PoolClient) => (await postTransaction(c as never, topup(envId, walletId, 100n))).transactionId;
  expect(
    await attempt(async (c) => {
      const id = await inOwn(c);
      await c.query(`update ledger_transactions set seal_seq = 999999, prev_hash = repeat('a', 64), hash = repeat('b', 64), sealed_at = now() where id = $1`, [id]);
    }),
  ).toBeNull();
  for (const sql of [
    `update ledger_transactions set seal_seq = 999999, prev_hash = repeat('a', 64), hash = repeat('b', 64), sealed_at = now(), amount = 1 where id = $1`,
    `update ledger_transactions set seal_seq = 999999, prev_hash = repeat('a', 64), hash = repeat('b', 64), sealed_at = now(), reference = 'x' where id = $1`,
    `update ledger_transactions set reference = 'x' where id = $1`,
    `update ledger_transactions set created_at = now() - interval '1 day' where id = $1`,
  ]) {
    const error = await attempt(async (c) => c.query(sql, [await inOwn(c)]));
    expect(error?.message).toMatch(/ledger transactions are immutable/);
  }
  // A seal without its hash is refused by the seal's check.
  const partial = await attempt(async (c) => c.query(`update ledger_transactions set seal_seq = 999999 where id = $1`, [await inOwn(c)]));
  expect(partial?.message).toMatch(/ledger_transactions_seal_complete/);
});

test('a lower id committing after a higher one was sealed is sealed later, at the end of the chain, which stays valid', async () => {
  const { envId, walletId } = await newWallet(pool, 'chain-late');
  const { wallet: other } = await createWallet(pool, envId, 'v', 'USD');
  await withTransaction(pool, (c) => postTransaction(c, topup(envId, other.id, 300n)));
  const late = await pool.connect();
  try {
    await late.query('begin');
    // Draws its id now, commits last: a payment from another wallet (no lock the next topup waits on).
    const lateTx = await postTransaction(late as never, {
      idempotencyId: `chain-late-${process.pid}-${Date.now()}`,
      envId,
      currency: 'USD',
      type: 'payment',
      amount: 100n,
      legs: [
        { account: 'wallet', walletId: other.id, amount: -100n },
        { account: 'revenue', amount: 100n },
      ],
      requireActive: true,
    });
    const early = await withTransaction(pool, (c) => postTransaction(c, topup(envId, walletId, 200n)));
    expect(BigInt(lateTx.transactionId)).toBeLessThan(BigInt(early.transactionId));
    await sealLedger(pool, { envId, wait: true });
    expect((await row(pool, early.transactionId)).seal_seq).not.toBeNull();
    expect((await row(pool, lateTx.transactionId))?.seal_seq ?? null).toBeNull(); // not committed: not visible
    await late.query('commit');
    await sealLedger(pool, { envId, wait: true });
    const e = await row(pool, early.transactionId);
    const l = await row(pool, lateTx.transactionId);
    expect(Number(l.seal_seq)).toBeGreaterThan(Number(e.seal_seq));
    const before = (await pool.query(`select hash from ledger_transactions where env_id = $1 and seal_seq = $2`, [envId, Number(l.seal_seq) - 1])).rows[0];
    expect(l.prev_hash).toBe(before.hash);
    expect(await verifyLedgerChains(pool, { envId })).toEqual([]);
  } finally {
    await late.query('rollback').catch(() => undefined); // after a failure: never hand back an open transaction
    late.release();
  }
});

test('sealers running at once (several workers) build one gapless chain', async () => {
  const { envId, walletId } = await newWallet(pool, 'chain-concurrent');
  const writers = Array.from({ length: 4 }, async () => {
    for (let i = 0; i < 10; i++) await withTransaction(pool, (c) => postTransaction(c, topup(envId, walletId, 1n)));
  });
  const sealers = Array.from({ length: 3 }, async () => {
    for (let i = 0; i < 8; i++) await sealLedger(pool, { envId, batchSize: 7 });
  });
  await Promise.all([...writers, ...sealers]);
  await sealLedger(pool, { envId, wait: true });
  const { rows } = await pool.query(
    `select count(*)::int as n, count(seal_seq)::int as sealed, max(seal_seq)::int as top from ledger_transactions where env_id = $1`,
    [envId],
  );
  expect(rows[0]).toEqual({ n: rows[0].n, sealed: rows[0].n, top: rows[0].n });
  expect(await verifyLedgerChains(pool, { envId })).toEqual([]);
});

test('ledger verify names the first broken link after a posting is edited past the immutability trigger', async () => {
  // A throwaway database: the suite's own must keep an intact chain (test/ops/admin.test.ts verifies it).
  const name = `${process.env.PAYNOCCHIO_TEST_DB ?? 'paynocchio_test'}_chain_tamper`;
  const url = await createDatabase(process.env.DATABASE_URL ? new URL('/postgres', process.env.DATABASE_URL).toString() : LOCAL_POSTGRES, name, true);
  const own = createPool(url, 2);
  const out: string[] = [];
  const admin = async (...argv: string[]) => {
    out.length = 0;
    const deps: AdminDeps = { pool: () => own, temporal: async () => Promise.reject(new Error('no temporal here')), out: (l) => out.push(l), err: () => undefined };
    return runAdmin(argv, deps);
  };
  try {
    await migrate(own);
    const { envId, walletId } = await newWallet(own, 'tampered');
    const { envId: cleanEnv, walletId: cleanWallet } = await newWallet(own, 'clean');
    const txs: string[] = [];
    for (const amount of [100n, 200n, 300n]) txs.push((await withTransaction(own, (c) => postTransaction(c, topup(envId, walletId, amount)))).transactionId);
    await withTransaction(own, (c) => postTransaction(c, topup(cleanEnv, cleanWallet, 50n)));
    expect(await admin('ledger', 'seal')).toBe(0);
    expect(await admin('ledger', 'verify')).toBe(0);
    expect(out).toEqual(['ledger ok: every invariant holds']);
    const stored = await row(own, txs[1]!);

    // Edit the middle topup's wallet posting with the trigger disabled (as a superuser could).
    const c = await own.connect();
    try {
      await c.query('begin');
      await c.query('alter table ledger_postings disable trigger ledger_postings_no_update');
      await c.query(`update ledger_postings set amount = amount + 1 where transaction_id = $1 and account = 'wallet'`, [txs[1]]);
      await c.query('alter table ledger_postings enable trigger ledger_postings_no_update');
      await c.query('commit');
    } finally {
      c.release();
    }

    expect(await admin('ledger', 'verify')).toBe(1);
    const chain = out.map((l) => JSON.parse(l)).filter((v) => v.rule.startsWith('hash chain'));
    // Only the tampered environment, and there the edited transaction (the first one still holds).
    expect(chain).toEqual([
      expect.objectContaining({
        env_id: envId,
        transaction_id: txs[1],
        ids: [txs[1]],
        seal_seq: stored.seal_seq,
        stored: stored.hash,
        expected: expect.stringMatching(/^[0-9a-f]{64}$/),
      }),
    ]);
    expect(chain[0].expected).not.toBe(stored.hash);
    // The invariant checks still run beside it (the wallet's balance no longer matches its postings).
    expect(out.some((l) => JSON.parse(l).rule === "each wallet's balance equals the sum of its postings")).toBe(true);
  } finally {
    await own.end();
    const dropper = new PgClient({ connectionString: new URL('/postgres', url).toString() });
    await dropper.connect();
    await dropper.query(`drop database if exists "${name}" with (force)`).finally(() => dropper.end());
  }
}, 60_000);
