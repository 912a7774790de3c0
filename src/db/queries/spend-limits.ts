/**
 * Spend limits (migration 016, README "Spend limits"): how much may leave a wallet per
 * UTC day and month and how many times per UTC day, through payments, transfers and
 * withdrawals (the wallet's negative legs of postings of type payment, transfer, hold).
 * Incoming money, refunds, reversals and releases are never limited.
 *
 * A wallet's limit is its own (wallet_limits) or else the environment's default for its
 * currency (environment_limits). Usage is counted per (wallet, period) in
 * wallet_limit_usage, only while a limit applies to the wallet.
 *
 * applySpendLimits runs inside postTransaction's SQL transaction, after the wallets were
 * locked: every posting of one wallet is serialized by that row lock, so the read of the
 * usage, the check and the write cannot interleave with another posting of the wallet
 * (50 concurrent payments against a daily count of 10 let exactly 10 through). A refusal
 * throws `limit_exceeded` and the caller's transaction rolls everything back.
 */
import { DomainError } from '../../domain/errors';
import { formatAmount, type Currency } from '../../domain/money';
import type { PoolClient, Queryable } from '../pool';


/** Posting types whose negative wallet legs are money leaving the wallet. */
export const LIMITED_TYPES = ['payment', 'transfer', 'hold'] as const;

export const LIMIT_FIELDS = ['daily_amount', 'monthly_amount', 'daily_count'] as const;
export type LimitField = (typeof LIMIT_FIELDS)[number];

export interface LimitValues {
  /** Minor units (amounts) or a count, as strings of digits; null: no limit. */
  daily_amount: string | null;
  monthly_amount: string | null;
  daily_count: string | null;
}

export interface LimitStatus {
  walletId: string;
  currency: Currency;
  limits: LimitValues;
  /** Where each effective limit comes from. */
  source: Record<LimitField, 'wallet' | 'environment' | null>;
  used: { daily_amount: string; monthly_amount: string; daily_count: string };
  dayResetsAt: string;
  monthResetsAt: string;
}

interface StatusRow {
  wallet_id: string;
  currency: string;
  w_daily_amount: string | null;
  w_monthly_amount: string | null;
  w_daily_count: string | null;
  e_daily_amount: string | null;
  e_monthly_amount: string | null;
  e_daily_count: string | null;
  day_amount: string;
  day_count: string;
  month_amount: string;
  day: string;
  month: string;
  day_resets_at: Date;
  month_resets_at: Date;
}

// The periods are UTC days and months of the database's clock (now(): the start of the
// caller's transaction). Environments cannot set a timezone yet.
const STATUS_SQL = `
  with p as (
    select (now() at time zone 'UTC')::date as day,
           date_trunc('month', now() at time zone 'UTC')::date as month
  )
  select w.id::text as wallet_id, w.currency,
    wl.daily_amount::text as w_daily_amount, wl.monthly_amount::text as w_monthly_amount, wl.daily_count::text as w_daily_count,
    el.daily_amount::text as e_daily_amount, el.monthly_amount::text as e_monthly_amount, el.daily_count::text as e_daily_count,
    coalesce(ud.amount, 0)::text as day_amount, coalesce(ud.count, 0)::text as day_count,
    coalesce(um.amount, 0)::text as month_amount,
    p.day::text as day, p.month::text as month,
    ((p.day + 1)::timestamp at time zone 'UTC') as day_resets_at,
    ((p.month + interval '1 month')::timestamp at time zone 'UTC') as month_resets_at
  from wallets w
  cross join p
  left join wallet_limits wl on wl.wallet_id = w.id
  left join environment_limits el on el.env_id = w.env_id and el.currency = w.currency
  left join wallet_limit_usage ud on ud.wallet_id = w.id and ud.period = 'day' and ud.period_start = p.day
  left join wallet_limit_usage um on um.wallet_id = w.id and um.period = 'month' and um.period_start = p.month
  where w.env_id = $1 and w.id = any($2::bigint[])
    and (wl.wallet_id is not null or el.env_id is not null)`;

function statusFromRow(r: StatusRow): LimitStatus & { day: string; month: string } {
  const pick = (field: LimitField) => {
    const own = r[`w_${field}`];
    const env = r[`e_${field}`];
    return own !== null ? { value: own, source: 'wallet' as const } : env !== null ? { value: env, source: 'environment' as const } : { value: null, source: null };
  };
  const da = pick('daily_amount');
  const ma = pick('monthly_amount');
  const dc = pick('daily_count');
  return {
    walletId: r.wallet_id,
    currency: r.currency as Currency,
    limits: { daily_amount: da.value, monthly_amount: ma.value, daily_count: dc.value },
    source: { daily_amount: da.source, monthly_amount: ma.source, daily_count: dc.source },
    used: { daily_amount: r.day_amount, monthly_amount: r.month_amount, daily_count: r.day_count },
    dayResetsAt: r.day_resets_at.toISOString(),
    monthResetsAt: r.month_resets_at.toISOString(),
    day: r.day,
    month: r.month,
  };
}

const hasAnyLimit = (s: LimitStatus) => LIMIT_FIELDS.some((f) => s.limits[f] !== null);

/** The limits that apply to these wallets, with today's and this month's usage. Wallets without a limit are absent. */
export async function getLimitStatuses(db: Queryable, envId: string, walletIds: string[]): Promise<Map<string, LimitStatus>> {
  if (walletIds.length === 0) return new Map();
  const { rows } = await db.query<StatusRow>(STATUS_SQL, [envId, walletIds]);
  return new Map(rows.map(statusFromRow).filter(hasAnyLimit).map((s) => [s.walletId, s]));
}

/**
 * The check and the usage update of one posting, in the posting's SQL transaction (the
 * wallets are already locked by postTransaction). `outgoing`: per wallet, the sum of its
 * negative legs (positive minor units).
 */
export async function applySpendLimits(
  client: PoolClient,
  posting: { envId: string; type: string; currency: Currency; outgoing: Map<string, bigint> },
): Promise<void> {
  if (!(LIMITED_TYPES as readonly string[]).includes(posting.type)) return;
  const ids = [...posting.outgoing].filter(([, amount]) => amount > 0n).map(([id]) => id);
  if (ids.length === 0) return;
  const { rows } = await client.query<StatusRow>({ name: 'spend-limit-status', text: STATUS_SQL, values: [posting.envId, ids] });
  for (const status of rows.map(statusFromRow)) {
    if (!hasAnyLimit(status)) continue;
    const amount = posting.outgoing.get(status.walletId)!;
    const checks: { field: LimitField; used: bigint; adding: bigint; resetsAt: string }[] = [
      { field: 'daily_count', used: BigInt(status.used.daily_count), adding: 1n, resetsAt: status.dayResetsAt },
      { field: 'daily_amount', used: BigInt(status.used.daily_amount), adding: amount, resetsAt: status.dayResetsAt },
      { field: 'monthly_amount', used: BigInt(status.used.monthly_amount), adding: amount, resetsAt: status.monthResetsAt },
    ];
    for (const c of checks) {
      const limitText = status.limits[c.field];
      if (limitText === null) continue;
      const limit = BigInt(limitText);
      if (c.used + c.adding <= limit) continue;
      const isCount = c.field === 'daily_count';
      const show = (v: bigint) => (isCount ? v.toString() : `${formatAmount(v, posting.currency)} ${posting.currency}`);
      const left = limit - c.used < 0n ? 0n : limit - c.used;
      throw new DomainError(
        'limit_exceeded',
        `wallet ${status.walletId} is over its ${c.field.replace('_', ' ')} limit: ${show(c.used)} used of ${show(limit)}, ` +
          `this ${posting.type} needs ${show(c.adding)}; the limit resets at ${c.resetsAt}`,
        {
          wallet_id: status.walletId,
          limit: c.field,
          limit_source: status.source[c.field],
          [isCount ? 'limit_count' : 'limit_minor']: limit.toString(),
          [isCount ? 'used_count' : 'used_minor']: c.used.toString(),
          [isCount ? 'remaining_count' : 'remaining_minor']: left.toString(),
          [isCount ? 'required_count' : 'required_minor']: c.adding.toString(),
          ...(isCount ? {} : { currency: posting.currency }),
          resets_at: c.resetsAt,
          timezone: 'UTC',
        },
      );
    }
    await client.query({
      name: 'spend-limit-use',
      text: `insert into wallet_limit_usage (wallet_id, period, period_start, amount, count)
       values ($1, 'day', $2::date, $4, 1), ($1, 'month', $3::date, $4, 1)
       on conflict (wallet_id, period, period_start)
       do update set amount = wallet_limit_usage.amount + excluded.amount, count = wallet_limit_usage.count + 1`,
      values: [status.walletId, status.day, status.month, amount.toString()],
    });
  }
}

export type LimitPatch = Partial<Record<LimitField, bigint | null>>;

/** Sets a wallet's own limits: a field absent from the patch is kept, null removes it. */
export async function patchWalletLimits(client: PoolClient, envId: string, walletId: string, patch: LimitPatch): Promise<void> {
  const set = (f: LimitField) => (f in patch ? (patch[f] === null ? null : patch[f]!.toString()) : undefined);
  const values = LIMIT_FIELDS.map(set);
  await client.query(
    `insert into wallet_limits (wallet_id, env_id, daily_amount, monthly_amount, daily_count)
     values ($1, $2, $3, $4, $5)
     on conflict (wallet_id) do update set
       daily_amount = case when $6 then excluded.daily_amount else wallet_limits.daily_amount end,
       monthly_amount = case when $7 then excluded.monthly_amount else wallet_limits.monthly_amount end,
       daily_count = case when $8 then excluded.daily_count else wallet_limits.daily_count end,
       updated_at = now()`,
    [walletId, envId, values[0] ?? null, values[1] ?? null, values[2] ?? null, values[0] !== undefined, values[1] !== undefined, values[2] !== undefined],
  );
  // A wallet with no own limit left has no row (so "no limits" stays distinguishable cheaply).
  await client.query(
    `delete from wallet_limits where wallet_id = $1 and daily_amount is null and monthly_amount is null and daily_count is null`,
    [walletId],
  );
}

/** Replaces the environment's default limits for a currency (absent or null: no default). */
export async function putEnvironmentLimits(
  db: Queryable,
  envId: string,
  currency: Currency,
  values: Record<LimitField, bigint | null>,
): Promise<void> {
  const v = LIMIT_FIELDS.map((f) => (values[f] === null ? null : values[f]!.toString()));
  if (v.every((x) => x === null)) {
    await db.query('delete from environment_limits where env_id = $1 and currency = $2', [envId, currency]);
    return;
  }
  await db.query(
    `insert into environment_limits (env_id, currency, daily_amount, monthly_amount, daily_count)
     values ($1, $2, $3, $4, $5)
     on conflict (env_id, currency) do update set daily_amount = excluded.daily_amount,
       monthly_amount = excluded.monthly_amount, daily_count = excluded.daily_count, updated_at = now()`,
    [envId, currency, ...v],
  );
}
