/** The posting function against the real Postgres: idempotency, refusals, locking, immutability. */
import { DomainError } from '../../src/domain/errors';
import { postings, TRANSACTION_TYPES } from '../../src/domain/postings';
import { postTransaction, type PostingRequest } from '../../src/db/ledger';
import { createPool, withTransaction, type Pool } from '../../src/db/pool';
import { createWallet, findWallet, updateWalletStatus } from '../../src/db/queries/wallets';
import { expectLedgerExact, newEnvironment, readStack } from '../helpers/stack';

let pool: Pool;
let envId: string;
let seq = 0;
beforeAll(async () => {
  pool = createPool(readStack().databaseUrl, 20);
  ({ envId } = await newEnvironment(pool, 'ledger-test'));
});
afterAll(async () => {
  await expectLedgerExact(pool);
  await pool.end();
});

async function wallet(cur: 'USD' | 'EUR' = 'USD') {
  return (await createWallet(pool, envId, `u${++seq}`, cur)).wallet;
}

function topup(walletId: string, amount: bigint, id = `t-${walletId}-${++seq}`): PostingRequest {
  return { idempotencyId: id, envId, currency: 'USD', ...postings.topup(walletId, amount) };
}

function transfer(from: string, to: string, amount: bigint): PostingRequest {
  return { idempotencyId: `x-${++seq}`, envId, currency: 'USD', ...postings.transfer(from, to, amount, null) };
}

const post = (req: PostingRequest) => withTransaction(pool, (c) => postTransaction(c, req));

async function refusal(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    if (err instanceof DomainError) return err.code;
    throw err;
  }
  throw new Error('expected a refusal');
}

test('the transaction types in TypeScript are exactly those the SQL check on ledger_transactions.type allows', async () => {
  const { rows } = await pool.query<{ def: string }>(
    `select pg_get_constraintdef(oid) as def from pg_constraint where conname = 'ledger_transactions_type_check'`,
  );
  expect(rows).toHaveLength(1);
  const allowed = [...rows[0]!.def.matchAll(/'([a-z_]+)'::text/g)].map((m) => m[1]);
  expect(allowed.length).toBeGreaterThan(0);
  expect([...allowed].sort()).toEqual([...TRANSACTION_TYPES].sort());
});

test('the same idempotency id posts once and returns the first transaction', async () => {
  const w = await wallet();
  const req = topup(w.id, 500n, `same-${w.id}`);
  const first = await post(req);
  const again = await post(req);
  expect(again.replayed).toBe(true);
  expect(again.transactionId).toBe(first.transactionId);
  expect((await findWallet(pool, envId, w.id))!.balance).toBe('500');
  expect(await refusal(post({ ...req, amount: 600n, legs: topup(w.id, 600n).legs }))).toBe('conflict');
});

test('concurrent posts with one idempotency id post exactly once', async () => {
  const w = await wallet();
  const req = topup(w.id, 700n, `race-${w.id}`);
  const results = await Promise.all(Array.from({ length: 10 }, () => post(req)));
  expect(results.filter((r) => !r.replayed)).toHaveLength(1);
  expect((await findWallet(pool, envId, w.id))!.balance).toBe('700');
});

test('insufficient funds posts nothing and leaves no transaction row', async () => {
  const a = await wallet();
  const b = await wallet();
  await post(topup(a.id, 100n));
  const req = transfer(a.id, b.id, 101n);
  expect(await refusal(post(req))).toBe('insufficient_funds');
  const { rowCount } = await pool.query('select 1 from ledger_transactions where idempotency_id = $1', [req.idempotencyId]);
  expect(rowCount).toBe(0);
  expect((await findWallet(pool, envId, a.id))!.balance).toBe('100');
});

test('refuses unknown wallets, other currencies and inactive wallets', async () => {
  const a = await wallet();
  const eur = await wallet('EUR');
  await post(topup(a.id, 100n));
  expect(await refusal(post(transfer(a.id, '999999999999', 10n)))).toBe('not_found');
  expect(await refusal(post(transfer(a.id, eur.id, 10n)))).toBe('currency_mismatch');
  await withTransaction(pool, (c) => updateWalletStatus(c, a.id, 'suspended'));
  expect(await refusal(post(topup(a.id, 10n)))).toBe('wallet_not_active');
  // Compensations (requireActive: false) still reach a suspended wallet.
  await post({ ...topup(a.id, 10n), requireActive: false });
  expect((await findWallet(pool, envId, a.id))!.balance).toBe('110');
});

test('unbalanced legs are a programming error and post nothing', async () => {
  const a = await wallet();
  await expect(
    post({ ...topup(a.id, 10n), legs: [{ account: 'wallet', walletId: a.id, amount: 10n }, { account: 'funding', amount: -9n }] }),
  ).rejects.toThrow(/sum to 1/);
});

test('a wallet of another environment is not found', async () => {
  const other = await newEnvironment(pool, 'other');
  const foreign = (await createWallet(pool, other.envId, 'x', 'USD')).wallet;
  expect(await refusal(post(topup(foreign.id, 10n)))).toBe('not_found');
});

test('opposite transfers between the same wallets at once never deadlock and conserve money', async () => {
  const a = await wallet();
  const b = await wallet();
  await post(topup(a.id, 10_000n));
  await post(topup(b.id, 10_000n));
  const moves = Array.from({ length: 60 }, (_, i) => (i % 2 ? transfer(a.id, b.id, 7n) : transfer(b.id, a.id, 5n)));
  await Promise.all(moves.map(post));
  const [wa, wb] = [await findWallet(pool, envId, a.id), await findWallet(pool, envId, b.id)];
  expect(BigInt(wa!.balance) + BigInt(wb!.balance)).toBe(20_000n);
  expect(BigInt(wa!.balance)).toBe(10_000n - 30n * 7n + 30n * 5n);
});

test('postings are immutable', async () => {
  const a = await wallet();
  const { transactionId } = await post(topup(a.id, 10n));
  await expect(pool.query('update ledger_postings set amount = 1 where transaction_id = $1', [transactionId])).rejects.toThrow(/immutable/);
  await expect(pool.query('delete from ledger_postings where transaction_id = $1', [transactionId])).rejects.toThrow(/immutable/);
});

test('a posting that touches no funding costs two round trips; a replay one and a read (issue 11: fewer round trips per posting)', async () => {
  const from = await wallet();
  const to = await wallet();
  await withTransaction(pool, (c) => postTransaction(c, topup(from.id, 500n)));
  const statements: string[] = [];
  const request = transfer(from.id, to.id, 200n);
  const posted = await withTransaction(pool, async (client) => {
    const query = client.query.bind(client) as (...args: unknown[]) => unknown;
    (client as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
      statements.push(String(args[0]));
      return query(...args);
    };
    try {
      return await postTransaction(client, request);
    } finally {
      (client as unknown as { query: unknown }).query = query;
    }
  });
  expect(statements).toHaveLength(2); // old main: 4 (insert, lock, postings, balances)
  expect(posted.wallets.map((w) => [w.id, w.balance])).toEqual([
    [from.id, '300'],
    [to.id, '200'],
  ]);
  // The replay locks nothing and posts nothing: the insert (nothing inserted), then its read.
  const again = await withTransaction(pool, (c) => postTransaction(c, request));
  expect(again).toMatchObject({ replayed: true, transactionId: posted.transactionId });
});
