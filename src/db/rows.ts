/**
 * What the query modules share about rows: the column groups several tables have in
 * common, and the one mapping of a fetched row (snake_case columns, timestamps as Dates)
 * to the domain's shape (camelCase fields, timestamps as ISO strings).
 */
import type { Currency } from '../domain/money';

/**
 * The columns every row of a user's money movement starts with: orders, withdrawals,
 * card top-ups, schedules (and the console's views of them).
 */
export interface WalletMovementColumns {
  id: string;
  env_id: string;
  wallet_id: string;
  user_id: string;
  /** Minor units (a bigint: pg hands it over as a string). */
  amount: string;
  /** Only ever written from a Currency (the wallet's), so read as one. */
  currency: Currency;
}

/**
 * A ledger_transactions row's own columns. `created_at` is left to each reader: the
 * console takes the Date, the hash chain its canonical text.
 */
export interface LedgerTransactionColumns {
  id: string;
  env_id: string;
  type: string;
  currency: string;
  amount: string;
  reference: string | null;
  idempotency_id: string;
}

/** `stripe_fee_currency` → `stripeFeeCurrency`, at the type level. */
type CamelCase<S extends string> = S extends `${infer Head}_${infer Tail}` ? `${Head}${Capitalize<CamelCase<Tail>>}` : S;

/** A timestamp (nullable or not) as the domain carries it: an ISO string, fit for JSON and Temporal's payloads. */
type Iso<V> = V extends Date ? string : V;

/** A row type in the domain's shape: what `camelize` returns for it. */
export type Camelized<Row> = { [K in keyof Row & string as CamelCase<K>]: Iso<Row[K]> };

/** Column names are a small fixed set: each is converted once. */
const fieldNames = new Map<string, string>();

function fieldName(column: string): string {
  let name = fieldNames.get(column);
  if (name === undefined) {
    name = column.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
    fieldNames.set(column, name);
  }
  return name;
}

/**
 * A row in the domain's shape: each column under its camelCase name, Dates as ISO strings,
 * every other value as pg returned it (bigints as strings, JSON parsed). Every column of
 * the row is carried over, so a query that selects more than its domain type holds (a
 * token, an owner's workflow id) takes those columns off before mapping the rest.
 */
export function camelize<Row extends object>(row: Row): Camelized<Row> {
  const out: Record<string, unknown> = {};
  for (const [column, value] of Object.entries(row)) out[fieldName(column)] = value instanceof Date ? value.toISOString() : value;
  return out as Camelized<Row>;
}
