/** Fee schedules (environment_fees) and who paid each fee posting (ledger_fees). */
import type { Currency } from '../../domain/money';
import { FEE_KINDS, type FeeKind, type FeeRule, type FeeSchedule } from '../../domain/fees';
import type { Pool, PoolClient } from '../pool';

type Queryable = Pool | PoolClient;

interface FeeRow {
  kind: FeeKind;
  percent_e4: number;
  fixed: string;
  min_fee: string;
  max_fee: string | null;
}

const ruleFromRow = (r: FeeRow): FeeRule => ({ percentE4: r.percent_e4, fixed: r.fixed, min: r.min_fee, max: r.max_fee });

/** The rule for one kind of movement, or null (no fee). Named: it runs in every charge of an order. */
export async function getFeeRule(db: Queryable, envId: string, currency: Currency, kind: FeeKind): Promise<FeeRule | null> {
  const { rows } = await db.query<FeeRow>({
    name: 'get-fee-rule',
    text: `select kind, percent_e4, fixed::text, min_fee::text, max_fee::text from environment_fees where env_id = $1 and currency = $2 and kind = $3`,
    values: [envId, currency, kind],
  });
  return rows[0] ? ruleFromRow(rows[0]) : null;
}

/**
 * getFeeRule as a column of another statement (a payment's order insert reads its fee rule
 * in the same round trip): a JSON object of the rule, or null. `env`, `currency` and
 * `kind` are SQL expressions (placeholders, columns). Read back with feeRuleFromColumn.
 */
export function feeRuleColumn(env: string, currency: string, kind: string): string {
  return `(select json_build_object('percent_e4', f.percent_e4, 'fixed', f.fixed::text, 'min_fee', f.min_fee::text, 'max_fee', f.max_fee::text)
             from environment_fees f where f.env_id = ${env} and f.currency = ${currency} and f.kind = ${kind})`;
}

export function feeRuleFromColumn(value: Omit<FeeRow, 'kind'> | null): FeeRule | null {
  return value ? ruleFromRow({ kind: 'payment', ...value }) : null;
}

export async function getFeeSchedule(db: Queryable, envId: string, currency: Currency): Promise<FeeSchedule> {
  const { rows } = await db.query<FeeRow>(
    `select kind, percent_e4, fixed::text, min_fee::text, max_fee::text from environment_fees where env_id = $1 and currency = $2`,
    [envId, currency],
  );
  const schedule = Object.fromEntries(FEE_KINDS.map((k) => [k, null])) as FeeSchedule;
  for (const r of rows) schedule[r.kind] = ruleFromRow(r);
  return schedule;
}

/** Replaces the environment's schedule for the currency: a kind without a rule has no fee. One statement. */
export async function putFeeSchedule(db: Queryable, envId: string, currency: Currency, schedule: FeeSchedule): Promise<void> {
  const kinds = FEE_KINDS.filter((k) => schedule[k] !== null);
  const rules = kinds.map((k) => schedule[k]!);
  await db.query(
    `with gone as (
       delete from environment_fees where env_id = $1 and currency = $2 and not (kind = any($3::text[]))
     )
     insert into environment_fees (env_id, currency, kind, percent_e4, fixed, min_fee, max_fee)
     select $1, $2, r.kind, r.percent_e4, r.fixed, r.min_fee, r.max_fee
     from unnest($3::text[], $4::int[], $5::bigint[], $6::bigint[], $7::bigint[]) as r(kind, percent_e4, fixed, min_fee, max_fee)
     on conflict (env_id, currency, kind) do update set percent_e4 = excluded.percent_e4, fixed = excluded.fixed,
       min_fee = excluded.min_fee, max_fee = excluded.max_fee, updated_at = now()`,
    [envId, currency, kinds, rules.map((r) => r.percentE4), rules.map((r) => r.fixed), rules.map((r) => r.min), rules.map((r) => r.max)],
  );
}

/** Who paid the fee legs of a ledger transaction (wallet id, or null: revenue). Written with the posting. */
export async function recordFeePayers(client: PoolClient, transactionId: string, payers: { walletId: string | null; amount: bigint }[]): Promise<void> {
  const rows = payers.filter((p) => p.amount !== 0n);
  if (!rows.length) return;
  await client.query({
    name: 'record-fee-payers',
    text: `insert into ledger_fees (transaction_id, wallet_id, amount)
     select $1, p.wallet_id, p.amount from unnest($2::bigint[], $3::bigint[]) as p(wallet_id, amount)`,
    values: [transactionId, rows.map((p) => p.walletId), rows.map((p) => p.amount.toString())],
  });
}

/** The fees posted by a ledger transaction (sum of its `fees` legs): for a replayed activity's answer. */
export async function feePostedBy(db: Queryable, transactionId: string): Promise<bigint> {
  const { rows } = await db.query<{ fee: string }>(
    `select coalesce(sum(amount), 0)::text as fee from ledger_postings where transaction_id = $1 and account = 'fees'`,
    [transactionId],
  );
  return BigInt(rows[0]!.fee);
}
