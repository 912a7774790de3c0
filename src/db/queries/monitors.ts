/**
 * Balance monitors (migration 016, README "Balance alerts"). A monitor watches one
 * wallet's `balance` or `held` against a threshold. fireMonitors runs inside
 * postTransaction's SQL transaction with the wallet rows locked, and compares each
 * touched wallet's value before and after the posting: when the posting moves it from
 * outside the condition into it, one `wallet.balance_threshold_crossed` event is
 * recorded (outbox, same commit). Edge-triggered: postings while the condition holds
 * send nothing; it fires again only after the value left the condition and entered it
 * anew. Postings of one wallet are serialized by its row lock, so concurrent postings
 * crossing a threshold fire it exactly once.
 */
import type { Currency } from '../../domain/money';
import type { Wallet } from '../../domain/types';
import type { PoolClient, Queryable } from '../pool';
import { camelize } from '../rows';
import { recordEvent } from './outbox';
import { money } from '../../wire/money';
import { presentWallet } from '../../wire/present';


export const MONITOR_FIELDS = ['balance', 'held'] as const;
export const MONITOR_OPS = ['lt', 'lte', 'gt', 'gte'] as const;
export type MonitorField = (typeof MONITOR_FIELDS)[number];
export type MonitorOp = (typeof MONITOR_OPS)[number];

export interface Monitor {
  id: string;
  envId: string;
  walletId: string;
  field: MonitorField;
  op: MonitorOp;
  /** Minor units of the wallet's currency. */
  value: string;
  currency: Currency;
  status: 'enabled' | 'disabled';
  createdAt: string;
}

interface MonitorRow {
  id: string;
  env_id: string;
  wallet_id: string;
  field: MonitorField;
  op: MonitorOp;
  value: string;
  currency: Currency;
  status: 'enabled' | 'disabled';
  created_at: Date;
}

/** A monitor `m` with its wallet's currency (`w`): what every statement here returns. */
const MONITOR_COLUMNS = 'm.id::text, m.env_id::text, m.wallet_id::text, m.field, m.op, m.value::text, w.currency, m.status, m.created_at';
const SELECT = `select ${MONITOR_COLUMNS} from wallet_monitors m join wallets w on w.id = m.wallet_id`;

const fromRow = (r: MonitorRow): Monitor => camelize(r);

export function presentMonitor(m: Monitor) {
  return {
    id: m.id,
    env_id: m.envId,
    wallet_id: m.walletId,
    field: m.field,
    op: m.op,
    value: money(m.value, m.currency),
    currency: m.currency,
    status: m.status,
    created_at: m.createdAt,
  };
}

export function holds(op: MonitorOp, x: bigint, threshold: bigint): boolean {
  switch (op) {
    case 'lt':
      return x < threshold;
    case 'lte':
      return x <= threshold;
    case 'gt':
      return x > threshold;
    case 'gte':
      return x >= threshold;
  }
}

export async function createMonitor(
  db: Queryable,
  m: { envId: string; walletId: string; field: MonitorField; op: MonitorOp; value: bigint },
): Promise<Monitor> {
  const { rows } = await db.query<MonitorRow>(
    `with m as (insert into wallet_monitors (env_id, wallet_id, field, op, value) values ($1, $2, $3, $4, $5) returning *)
     select ${MONITOR_COLUMNS} from m join wallets w on w.id = m.wallet_id`,
    [m.envId, m.walletId, m.field, m.op, m.value.toString()],
  );
  return fromRow(rows[0]!);
}

export async function listMonitors(db: Queryable, envId: string, walletId?: string): Promise<Monitor[]> {
  const { rows } = await db.query<MonitorRow>(
    `${SELECT} where m.env_id = $1 and ($2::bigint is null or m.wallet_id = $2) order by m.id`,
    [envId, walletId ?? null],
  );
  return rows.map(fromRow);
}

export async function disableMonitor(db: Queryable, envId: string, monitorId: string): Promise<Monitor | null> {
  const { rows } = await db.query<MonitorRow>(
    `with m as (update wallet_monitors set status = 'disabled', updated_at = now() where env_id = $1 and id = $2 returning *)
     select ${MONITOR_COLUMNS} from m join wallets w on w.id = m.wallet_id`,
    [envId, monitorId],
  );
  return rows[0] ? fromRow(rows[0]) : null;
}

/**
 * Called by postTransaction (its SQL transaction, wallets locked) with each touched
 * wallet's values before the posting and the wallet after it.
 */
export async function fireMonitors(
  client: PoolClient,
  posting: { envId: string; transactionId: string; type: string; changes: { before: { balance: bigint; held: bigint }; after: Wallet }[] },
): Promise<void> {
  const moved = posting.changes.filter((c) => c.before.balance !== BigInt(c.after.balance) || c.before.held !== BigInt(c.after.held));
  if (moved.length === 0) return;
  const { rows } = await client.query<MonitorRow>({
    name: 'fire-monitors',
    text: `${SELECT} where m.wallet_id = any($1::bigint[]) and m.status = 'enabled' order by m.id`,
    values: [moved.map((c) => c.after.id)],
  });
  for (const monitor of rows.map(fromRow)) {
    const change = moved.find((c) => c.after.id === monitor.walletId)!;
    const threshold = BigInt(monitor.value);
    const before = change.before[monitor.field];
    const after = BigInt(change.after[monitor.field]);
    if (holds(monitor.op, before, threshold) || !holds(monitor.op, after, threshold)) continue;
    await recordEvent(client, posting.envId, 'wallet.balance_threshold_crossed', {
      monitor: presentMonitor(monitor),
      previous_value: money(before.toString(), monitor.currency),
      value: money(after.toString(), monitor.currency),
      transaction_id: posting.transactionId,
      transaction_type: posting.type,
      wallet: presentWallet(change.after),
    });
  }
}
