/**
 * Wallet statements (GET /wallet/{id}/statement): opening balance, lines, closing balance.
 *
 * Order and boundaries: a posting belongs to the statement [from, to) when its
 * `created_at` (its transaction's start time) is >= from and < to, and lines are ordered
 * by (created_at, posting id). The opening balance is the sum of the wallet's postings
 * with created_at < from; each line's balance_after is the opening plus the running sum
 * in that order; the closing balance is the sum of postings with created_at < to, which
 * is opening + the lines by construction (one SQL statement, one snapshot). The stored
 * `balance_after` of a posting follows posting-id (commit) order, which is not exactly
 * created_at order when transactions overlap, so it is not used here: a statement's
 * balances always add up, and consecutive statements [a, b) and [b, c) chain (the
 * closing of one is the opening of the next).
 */
import { ledgerHead } from '../ledger-chain';
import type { Pool } from '../pool';

export interface StatementLine {
  postingId: string;
  transactionId: string;
  createdAt: string;
  type: string;
  /** Signed: what the posting added to the wallet, minor units. */
  amount: string;
  /** Fees do not exist yet: always 0 (the column is kept for when they do). */
  fee: string;
  reference: string | null;
  /** The other wallet of a transfer; null for movements against system accounts. */
  counterpartyWalletId: string | null;
  /** Opening + the lines up to and including this one, minor units. */
  balanceAfter: string;
}

export interface Statement {
  opening: string;
  closing: string;
  lines: StatementLine[];
  /** More lines than `maxLines` fall in the range: `lines` holds the first maxLines only. */
  truncated: boolean;
}

/**
 * The statement of one wallet over [from, to). Reads at most maxLines + 1 lines, so a
 * range with more is known to be too large without reading it all.
 */
export async function walletStatement(pool: Pool, walletId: string, from: Date, to: Date, maxLines: number): Promise<Statement> {
  const { rows } = await pool.query<{
    kind: 'opening' | 'closing' | 'line';
    id: string | null;
    transaction_id: string | null;
    created_at: Date | null;
    type: string | null;
    amount: string;
    reference: string | null;
    counterparty: string | null;
    fee: string | null;
  }>(
    `with lines as (
       select p.id, p.transaction_id, p.created_at, t.type, p.amount, t.reference,
         case when t.type = 'transfer' then
           (select min(o.wallet_id) from ledger_postings o where o.transaction_id = p.transaction_id and o.wallet_id <> p.wallet_id)
         end as counterparty,
         (select coalesce(sum(f.amount), 0) from ledger_fees f where f.transaction_id = p.transaction_id and f.wallet_id = p.wallet_id) as fee
       from ledger_postings p join ledger_transactions t on t.id = p.transaction_id
       where p.wallet_id = $1 and p.created_at >= $2 and p.created_at < $3
       order by p.created_at, p.id
       limit $4
     )
     select 'opening' as kind, null::bigint as id, null::bigint as transaction_id, null::timestamptz as created_at, null as type,
            coalesce(sum(amount), 0)::text as amount, null as reference, null::bigint as counterparty, null as fee, 0 as ord
       from ledger_postings where wallet_id = $1 and created_at < $2
     union all
     select 'closing', null, null, null, null, coalesce(sum(amount), 0)::text, null, null, null, 2
       from ledger_postings where wallet_id = $1 and created_at < $3
     union all
     select 'line', id, transaction_id, created_at, type, amount::text, reference, counterparty, fee::text, 1 from lines
     order by ord, created_at, id`,
    [walletId, from, to, maxLines + 1],
  );
  const opening = BigInt(rows.find((r) => r.kind === 'opening')!.amount);
  const closing = BigInt(rows.find((r) => r.kind === 'closing')!.amount);
  const lineRows = rows.filter((r) => r.kind === 'line');
  const truncated = lineRows.length > maxLines;
  let running = opening;
  const lines = lineRows.slice(0, maxLines).map((r): StatementLine => {
    running += BigInt(r.amount);
    return {
      postingId: r.id!,
      transactionId: r.transaction_id!,
      createdAt: r.created_at!.toISOString(),
      type: r.type!,
      amount: r.amount,
      fee: r.fee ?? '0',
      reference: r.reference,
      counterpartyWalletId: r.counterparty,
      balanceAfter: running.toString(),
    };
  });
  // One statement, one snapshot: the closing sum is the opening plus every line in range.
  if (!truncated && running !== closing) {
    throw new Error(`statement of wallet ${walletId} does not add up: opening ${opening} + lines = ${running}, closing ${closing}`);
  }
  return { opening: opening.toString(), closing: closing.toString(), lines, truncated };
}

/**
 * The tamper-evident ledger (issue 14 section 2, src/db/ledger-chain.ts): the environment's
 * latest sealed transaction and its hash, carried by every statement so a merchant can keep
 * it and later prove the books did not change behind it. Null until the environment's
 * first transaction is sealed (the worker seals within about LEDGER_SEAL_INTERVAL_MS).
 */
export async function ledgerHeadForStatement(pool: Pool, envId: string): Promise<{ transactionId: string; hash: string } | null> {
  const head = await ledgerHead(pool, envId);
  return head && { transactionId: head.transactionId, hash: head.hash };
}
