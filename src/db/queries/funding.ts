/**
 * The per-environment funding float (migration 006): what a merchant has deposited with
 * the platform, what topups have used of it, and an optional credit line. One row per
 * environment and currency; written only in the SQL transaction of a posting to the
 * `funding` account (postTransaction), so it always equals what the postings say.
 */
import type { Currency } from '../../domain/money';
import type { PoolClient, Queryable } from '../pool';


export interface Funding {
  envId: string;
  currency: Currency;
  /** Minor units, as strings of digits. */
  deposited: string;
  used: string;
  creditLine: string;
  /** deposited + credit line − used: what topups may still take. */
  available: string;
}

interface FundingRow {
  env_id: string;
  currency: string;
  deposited: string;
  used: string;
  credit_line: string;
}

const COLUMNS = 'env_id, currency, deposited, used, credit_line';

function fromRow(r: FundingRow): Funding {
  return {
    envId: r.env_id,
    currency: r.currency as Currency,
    deposited: r.deposited,
    used: r.used,
    creditLine: r.credit_line,
    available: (BigInt(r.deposited) + BigInt(r.credit_line) - BigInt(r.used)).toString(),
  };
}

/**
 * Adds to the counters in one conditional UPDATE: when `used` grows, only if the float
 * (with its credit line) covers it. Concurrent callers queue on the row and each sees the
 * one before it (READ COMMITTED re-checks the condition on the updated row), so two
 * topups can never both take the last of the float. Null: refused, nothing changed.
 */
export async function applyFundingChange(
  client: PoolClient,
  envId: string,
  currency: Currency,
  depositedDelta: bigint,
  usedDelta: bigint,
): Promise<Funding | null> {
  const update = () =>
    client.query<FundingRow>(
      `update environment_funding
       set deposited = deposited + $3, used = used + $4, updated_at = now()
       where env_id = $1 and currency = $2
         and ($4::bigint <= 0 or deposited + $3 + credit_line - used - $4 >= 0)
       returning ${COLUMNS}`,
      [envId, currency, depositedDelta.toString(), usedDelta.toString()],
    );
  let { rows } = await update();
  if (!rows[0]) {
    // First posting to this environment's funding in this currency: create the row, try again.
    // (A concurrent first insert makes this one wait for it and then do nothing.)
    await client.query(`insert into environment_funding (env_id, currency) values ($1, $2) on conflict do nothing`, [envId, currency]);
    ({ rows } = await update());
  }
  return rows[0] ? fromRow(rows[0]) : null;
}

export async function getFunding(db: Queryable, envId: string, currency: Currency): Promise<Funding | null> {
  const { rows } = await db.query<FundingRow>(`select ${COLUMNS} from environment_funding where env_id = $1 and currency = $2`, [
    envId,
    currency,
  ]);
  return rows[0] ? fromRow(rows[0]) : null;
}

export async function listFunding(db: Queryable, envId: string): Promise<Funding[]> {
  const { rows } = await db.query<FundingRow>(`select ${COLUMNS} from environment_funding where env_id = $1 order by currency`, [envId]);
  return rows.map(fromRow);
}

/**
 * Sets the credit line (how far below zero topups may take the float). Null when the
 * environment has already used more than its deposits plus the new line: lowering it
 * below what is used would leave the float overdrawn, so that is refused.
 */
export async function setCreditLine(client: PoolClient, envId: string, currency: Currency, creditLine: bigint): Promise<Funding | null> {
  await client.query(`insert into environment_funding (env_id, currency) values ($1, $2) on conflict do nothing`, [envId, currency]);
  const { rows } = await client.query<FundingRow>(
    `update environment_funding set credit_line = $3, updated_at = now()
     where env_id = $1 and currency = $2 and deposited + $3 - used >= 0
     returning ${COLUMNS}`,
    [envId, currency, creditLine.toString()],
  );
  return rows[0] ? fromRow(rows[0]) : null;
}
