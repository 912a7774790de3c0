/**
 * The tamper-evident ledger (issue 14, section 2; migration 015).
 *
 * Every ledger transaction is sealed once, after its commit, into its environment's hash
 * chain: hash = SHA-256(prev_hash + "\n" + canonical content), hex. The canonical content
 * is a JSON array (see `canonicalContent`): format version, id, environment, type,
 * currency, amount, reference, idempotency id, created_at (UTC, microseconds) and the
 * postings sorted by id, each [id, account, wallet id or null, amount]. Amounts and ids
 * are decimal strings (exact).
 *
 * Sealing is off the hot path: postTransaction writes nothing of it. The worker's sealer
 * (`startLedgerSealer`, every LEDGER_SEAL_INTERVAL_MS) seals per environment, under a
 * per-environment advisory lock taken with try-lock (two workers never wait on each
 * other: one seals, the other skips the environment), the committed unsealed
 * transactions in id order, in batches. The chain order is the seal order (seal_seq), not
 * the id order: an id is drawn before its commit, so a lower id can commit after a higher
 * one was sealed; it is then sealed later, at the end of the chain.
 *
 * `verifyLedgerChains` recomputes every chain and reports, per environment, the first
 * broken link (admin `ledger verify`).
 */
import { createHash } from 'node:crypto';
import type { Pool, PoolClient } from './pool';
import type { LedgerTransactionColumns } from './rows';

export const CHAIN_FORMAT = 1;

/** A transaction as the chain hashes it: created_at as canonical text (TX_COLUMNS), the seal's columns when read back. */
interface TxRow extends LedgerTransactionColumns {
  created_at: string;
  seal_seq?: string | null;
  prev_hash?: string | null;
  hash?: string | null;
}

interface PostingRow {
  id: string;
  transaction_id: string;
  account: string;
  wallet_id: string | null;
  amount: string;
}

/** Columns of ledger_transactions `t` as text (ORDER BY must name `t.` columns: the outputs shadow bare names). */
const TX_COLUMNS = `t.id::text as id, t.env_id::text as env_id, t.type, t.currency, t.amount::text as amount, t.reference, t.idempotency_id,
  to_char(t.created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as created_at`;

export function canonicalContent(tx: TxRow, postings: PostingRow[]): string {
  const legs = [...postings]
    .sort((a, b) => (BigInt(a.id) < BigInt(b.id) ? -1 : BigInt(a.id) > BigInt(b.id) ? 1 : 0))
    .map((p) => [p.id, p.account, p.wallet_id, p.amount]);
  return JSON.stringify([
    CHAIN_FORMAT,
    tx.id,
    tx.env_id,
    tx.type,
    tx.currency.trim(),
    tx.amount,
    tx.reference,
    tx.idempotency_id,
    tx.created_at,
    legs,
  ]);
}

export function chainHash(prevHash: string | null, canonical: string): string {
  return createHash('sha256')
    .update((prevHash ?? '') + '\n' + canonical)
    .digest('hex');
}

async function postingsOf(client: Pool | PoolClient, ids: string[]): Promise<Map<string, PostingRow[]>> {
  const { rows } = await client.query<PostingRow>(
    `select id::text, transaction_id::text, account, wallet_id::text, amount::text
     from ledger_postings where transaction_id = any($1::bigint[]) order by id`,
    [ids],
  );
  const by = new Map<string, PostingRow[]>();
  for (const r of rows) {
    const list = by.get(r.transaction_id) ?? [];
    list.push(r);
    by.set(r.transaction_id, list);
  }
  return by;
}

export interface LedgerHead {
  envId: string;
  transactionId: string;
  sealSeq: string;
  hash: string;
  sealedAt: Date;
}

/** The environment's latest sealed transaction, or null when none is sealed yet. */
export async function ledgerHead(client: Pool | PoolClient, envId: string): Promise<LedgerHead | null> {
  const { rows } = await client.query<{ id: string; seal_seq: string; hash: string; sealed_at: Date }>(
    // t.seal_seq: the bigint (a bare name would sort the text output column).
    `select t.id::text, t.seal_seq::text, t.hash, t.sealed_at from ledger_transactions t
     where t.env_id = $1 and t.seal_seq is not null order by t.seal_seq desc limit 1`,
    [envId],
  );
  const r = rows[0];
  return r ? { envId, transactionId: r.id, sealSeq: r.seal_seq, hash: r.hash, sealedAt: r.sealed_at } : null;
}

/** One sealed transaction's link (a head a merchant kept, looked up again), or null if unsealed or not in envId. */
export async function ledgerLink(client: Pool | PoolClient, envId: string, transactionId: string): Promise<LedgerHead | null> {
  const { rows } = await client.query<{ id: string; seal_seq: string; hash: string; sealed_at: Date }>(
    `select t.id::text, t.seal_seq::text, t.hash, t.sealed_at from ledger_transactions t
     where t.env_id = $1 and t.id = $2 and t.seal_seq is not null`,
    [envId, transactionId],
  );
  const r = rows[0];
  return r ? { envId, transactionId: r.id, sealSeq: r.seal_seq, hash: r.hash, sealedAt: r.sealed_at } : null;
}

/**
 * Seals one batch of one environment's committed unsealed transactions, in id order, in
 * one SQL transaction under the environment's advisory lock (try-lock: when another
 * sealer holds it, returns -1 and seals nothing; with `wait`, waits for it). Returns how many it sealed.
 */
export async function sealEnvironmentBatch(pool: Pool, envId: string, batchSize = 500, wait = false): Promise<number> {
  const client = await pool.connect();
  try {
    await client.query('begin');
    try {
      const key = `hashtextextended('ledger-seal:' || $1::text, 0)`;
      const lock = await client.query<{ ok: boolean }>(
        wait ? `select pg_advisory_xact_lock(${key}) is not null as ok` : `select pg_try_advisory_xact_lock(${key}) as ok`,
        [envId],
      );
      if (!lock.rows[0]!.ok) {
        await client.query('rollback');
        return -1;
      }
      const head = await ledgerHead(client, envId);
      const { rows: txs } = await client.query<TxRow>(
        `select ${TX_COLUMNS} from ledger_transactions t where t.env_id = $1 and t.seal_seq is null order by t.id limit $2`,
        [envId, batchSize],
      );
      if (!txs.length) {
        await client.query('rollback');
        return 0;
      }
      const postings = await postingsOf(client, txs.map((t) => t.id));
      let prev = head?.hash ?? null;
      let seq = head ? BigInt(head.sealSeq) : 0n;
      const ids: string[] = [];
      const seqs: string[] = [];
      const prevs: (string | null)[] = [];
      const hashes: string[] = [];
      for (const tx of txs) {
        const hash = chainHash(prev, canonicalContent(tx, postings.get(tx.id) ?? []));
        seq += 1n;
        ids.push(tx.id);
        seqs.push(seq.toString());
        prevs.push(prev);
        hashes.push(hash);
        prev = hash;
      }
      await client.query(
        `update ledger_transactions t set seal_seq = s.seq, prev_hash = s.prev, hash = s.hash, sealed_at = now()
         from unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[]) as s(id, seq, prev, hash)
         where t.id = s.id and t.seal_seq is null`,
        [ids, seqs, prevs, hashes],
      );
      await client.query('commit');
      return txs.length;
    } catch (err) {
      await client.query('rollback').catch(() => undefined);
      throw err;
    }
  } finally {
    client.release();
  }
}

/**
 * Seals every environment's committed unsealed transactions (batch after batch). Returns how
 * many. An environment another sealer is busy with is skipped, unless `wait` (the admin
 * command, tests): then this waits for it and seals what is left after it.
 */
export async function sealLedger(pool: Pool, opts: { batchSize?: number; envId?: string; wait?: boolean } = {}): Promise<number> {
  const batchSize = opts.batchSize ?? 500;
  const envs = opts.envId
    ? [opts.envId]
    : (await pool.query<{ env_id: string }>(`select distinct env_id::text from ledger_transactions where seal_seq is null`)).rows.map((r) => r.env_id);
  let total = 0;
  for (const envId of envs) {
    for (;;) {
      const n = await sealEnvironmentBatch(pool, envId, batchSize, opts.wait ?? false);
      if (n > 0) total += n;
      if (n < batchSize) break;
    }
  }
  return total;
}

/** The worker's sealing loop: one pass every intervalMs, never two at once. */
export function startLedgerSealer(pool: Pool, intervalMs: number, onError: (err: Error) => void): { stop: () => Promise<void> } {
  let running: Promise<unknown> | null = null;
  let stopped = false;
  const tick = () => {
    if (running || stopped) return;
    running = sealLedger(pool)
      .catch((err: Error) => onError(err))
      .finally(() => {
        running = null;
      });
  };
  const timer = setInterval(tick, intervalMs);
  timer.unref();
  tick();
  return {
    stop: async () => {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}

export interface BrokenLink {
  envId: string;
  transactionId: string;
  sealSeq: string;
  problem: string;
  expected: string | null;
  stored: string | null;
}

/**
 * Recomputes every environment's chain in seal order and returns, per environment, the
 * first broken link: a seal_seq out of sequence (a link removed), a prev_hash that is not
 * the previous link's hash, or a hash that does not match the transaction's content now.
 */
export async function verifyLedgerChains(pool: Pool, opts: { envId?: string; batchSize?: number } = {}): Promise<BrokenLink[]> {
  const batchSize = opts.batchSize ?? 1000;
  const envs = opts.envId
    ? [opts.envId]
    : (await pool.query<{ env_id: string }>(`select distinct env_id::text from ledger_transactions where seal_seq is not null order by 1`)).rows.map(
        (r) => r.env_id,
      );
  const broken: BrokenLink[] = [];
  for (const envId of envs) {
    let prev: string | null = null;
    let seq = 0n;
    let found: BrokenLink | null = null;
    while (!found) {
      const { rows } = await pool.query<TxRow>(
        `select ${TX_COLUMNS}, t.seal_seq::text as seal_seq, t.prev_hash, t.hash from ledger_transactions t
         where t.env_id = $1 and t.seal_seq > $2 order by t.seal_seq limit $3`,
        [envId, seq.toString(), batchSize],
      );
      if (!rows.length) break;
      const postings = await postingsOf(pool, rows.map((r) => r.id));
      for (const tx of rows) {
        const link = (problem: string, expected: string | null, stored: string | null): BrokenLink => ({
          envId,
          transactionId: tx.id,
          sealSeq: tx.seal_seq!,
          problem,
          expected,
          stored,
        });
        const expectedSeq = seq + 1n;
        if (BigInt(tx.seal_seq!) !== expectedSeq) {
          found = link('seal_seq out of sequence (a sealed transaction is missing)', expectedSeq.toString(), tx.seal_seq!);
          break;
        }
        if ((tx.prev_hash ?? null) !== prev) {
          found = link('prev_hash is not the previous link’s hash', prev, tx.prev_hash ?? null);
          break;
        }
        const hash = chainHash(prev, canonicalContent(tx, postings.get(tx.id) ?? []));
        if (hash !== tx.hash) {
          found = link('hash does not match the transaction and its postings', hash, tx.hash ?? null);
          break;
        }
        prev = hash;
        seq = expectedSeq;
      }
      if (rows.length < batchSize) break;
    }
    if (found) broken.push(found);
  }
  return broken;
}
