/**
 * A wallet's movements and its balance at an instant, read from the ledger.
 * Pages are keyset-paginated on the posting id (ledger_postings_wallet index:
 * wallet_id, id desc), so a page costs the same at the millionth row as at the first.
 */
import type { Pool } from '../pool';

export interface WalletMovement {
  postingId: string;
  transactionId: string;
  type: string;
  /** Signed: what the movement added to the wallet, minor units. */
  amount: string;
  balanceAfter: string;
  reference: string | null;
  createdAt: string;
  /** The fee this wallet paid in that transaction (negative: given back), minor units. */
  fee: string;
}

export interface WalletMovementsQuery {
  walletId: string;
  limit: number;
  beforePostingId: string | null;
  from: Date | null;
  to: Date | null;
}

/**
 * The page query `GET /wallet/{id}/transactions` runs, exported with its parameters so the
 * history test EXPLAINs this very statement (it must walk `ledger_postings_wallet`) and the
 * bench prints its plans.
 *
 * The wallet id goes in as `(select $1::bigint)`, an InitPlan parameter, on purpose: given
 * the value itself, the planner used that wallet's own frequency, and for a wallet holding
 * most postings (the history test's 10,000 of 20,000) it chose to walk the primary key
 * backwards filtering on wallet_id — cheap while the wallet's postings are the newest,
 * unbounded when they are old and other wallets' postings came after (every newer posting
 * is read and thrown away). Behind the InitPlan it estimates an average wallet and walks
 * (wallet_id, id desc): a page costs the same whatever the wallet and the depth. (Not a
 * hint: in a database of two or three wallets an average wallet is half the table and the
 * primary key can still win; any real environment, the suite's and the bench's have many.)
 */
export const WALLET_MOVEMENTS_SQL = `select p.id, p.transaction_id, t.type, p.amount, p.balance_after, t.reference, p.created_at,
       (select coalesce(sum(f.amount), 0)::text from ledger_fees f where f.transaction_id = p.transaction_id and f.wallet_id = p.wallet_id) as fee
     from ledger_postings p join ledger_transactions t on t.id = p.transaction_id
     where p.wallet_id = (select $1::bigint) and ($2::bigint is null or p.id < $2)
       and ($3::timestamptz is null or p.created_at >= $3) and ($4::timestamptz is null or p.created_at < $4)
     order by p.id desc limit $5`;

export function walletMovementsParams(q: WalletMovementsQuery): unknown[] {
  return [q.walletId, q.beforePostingId, q.from, q.to, q.limit];
}

export async function listWalletMovements(pool: Pool, q: WalletMovementsQuery): Promise<WalletMovement[]> {
  const { rows } = await pool.query<{
    id: string;
    transaction_id: string;
    type: string;
    amount: string;
    balance_after: string;
    reference: string | null;
    created_at: Date;
    fee: string;
  }>(WALLET_MOVEMENTS_SQL, walletMovementsParams(q));
  return rows.map((r) => ({
    postingId: r.id,
    transactionId: r.transaction_id,
    type: r.type,
    amount: r.amount,
    balanceAfter: r.balance_after,
    reference: r.reference,
    createdAt: r.created_at.toISOString(),
    fee: r.fee,
  }));
}

/** EXPLAIN (ANALYZE when asked) of that same statement with these parameters: the plan's lines. */
export async function explainWalletMovements(pool: Pool, q: WalletMovementsQuery, opts: { analyze?: boolean } = {}): Promise<string[]> {
  const { rows } = await pool.query<{ 'QUERY PLAN': string }>(
    `explain ${opts.analyze ? '(analyze, buffers) ' : ''}${WALLET_MOVEMENTS_SQL}`,
    walletMovementsParams(q),
  );
  return rows.map((r) => r['QUERY PLAN']);
}

/**
 * The wallet's balance at `at`: the sum of its postings recorded at or before it.
 * A sum rather than the last balance_after, because created_at is the posting
 * transaction's start time, which is not strictly ordered like the postings are.
 */
export async function balanceAt(pool: Pool, walletId: string, at: Date): Promise<string> {
  const { rows } = await pool.query<{ balance: string }>(
    `select coalesce(sum(amount), 0)::text as balance from ledger_postings where wallet_id = $1 and created_at <= $2`,
    [walletId, at],
  );
  return rows[0]!.balance;
}
