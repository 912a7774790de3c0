/**
 * `npm run admin -- export postings`: every posting of an environment, streamed with
 * Postgres COPY (pg-copy-streams) straight to a writable (stdout), with backpressure:
 * memory stays bounded whatever the number of rows (bench: 1,000,000 postings).
 *
 * Amounts are exact decimals with the currency's decimals (numeric in SQL, never a
 * float); times are UTC with microseconds. Order: posting id.
 */
import { pipeline } from 'node:stream/promises';
import type { Writable } from 'node:stream';
import { to as copyTo } from 'pg-copy-streams';
import { CURRENCY_EXPONENT } from '../../domain/money';
import type { Pool } from '../pool';

export type ExportFormat = 'csv' | 'jsonl';

export const POSTINGS_EXPORT_COLUMNS = [
  'posting_id',
  'transaction_id',
  'created_at',
  'type',
  'account',
  'wallet_id',
  'amount',
  'currency',
  'reference',
  'balance_after',
] as const;

/** minor units (bigint column) → exact decimal with the currency's decimals. */
function decimal(column: string): string {
  const cases = Object.entries(CURRENCY_EXPONENT)
    .map(([cur, e]) => `when '${cur}' then round(${column}::numeric / ${10 ** e}, ${e})`)
    .join(' ');
  return `(case p.currency ${cases} end)`;
}

/** COPY takes no parameters: every value interpolated here is checked (digits) or quoted by the caller. */
export function postingsExportSql(q: { envId: string; fromLiteral: string | null; toLiteral: string | null; format: ExportFormat }): string {
  if (!/^[0-9]{1,19}$/.test(q.envId)) throw new Error('envId must be digits');
  const where = [`p.env_id = ${q.envId}`];
  if (q.fromLiteral) where.push(`p.created_at >= ${q.fromLiteral}::timestamptz`);
  if (q.toLiteral) where.push(`p.created_at < ${q.toLiteral}::timestamptz`);
  const fields: Record<(typeof POSTINGS_EXPORT_COLUMNS)[number], string> = {
    posting_id: 'p.id::text',
    transaction_id: 'p.transaction_id::text',
    created_at: `to_char(p.created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`,
    type: 't.type',
    account: 'p.account',
    wallet_id: 'p.wallet_id::text',
    amount: decimal('p.amount'),
    currency: 'p.currency::text',
    reference: 't.reference',
    balance_after: decimal('p.balance_after'),
  };
  const select = `select ${POSTINGS_EXPORT_COLUMNS.map((c) => `${fields[c]} as ${c}`).join(', ')}
    from ledger_postings p join ledger_transactions t on t.id = p.transaction_id where ${where.join(' and ')} order by p.id`;
  if (q.format === 'csv') return `copy (${select}) to stdout with (format csv, header true)`;
  // One JSON object a line (row_to_json: compact, the columns' order). CSV mode with a
  // quote and delimiter that JSON text never holds raw (JSON escapes every control
  // character) writes each object as it is, unquoted.
  return `copy (select row_to_json(r)::text from (${select}) r) to stdout with (format csv, quote e'\\x01', delimiter e'\\x02')`;
}

/** Streams the export to `out` (not ended: stdout stays open). Resolves when every row is written. */
export async function exportPostings(
  pool: Pool,
  q: { envId: string; from: Date | null; to: Date | null; format: ExportFormat },
  out: Writable,
): Promise<void> {
  const client = await pool.connect();
  try {
    const lit = (d: Date | null) => (d ? client.escapeLiteral(d.toISOString()) : null);
    const sql = postingsExportSql({ envId: q.envId, fromLiteral: lit(q.from), toLiteral: lit(q.to), format: q.format });
    await pipeline(client.query(copyTo(sql)), out, { end: false });
  } finally {
    client.release();
  }
}
