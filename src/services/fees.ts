/**
 * Fee schedules (PUT/GET /environments/{env_id}/fees): the wire's rules → exact rules
 * (percent as percent × 10^4, amounts in minor units of the currency), checked whole
 * before anything is written; and back to the wire.
 */
import { DomainError } from '../domain/errors';
import { FEE_KINDS, formatPercent, parsePercent, type FeeKind, type FeeRule, type FeeSchedule } from '../domain/fees';
import { parseAmountOrZero, type Currency } from '../domain/money';
import type { Pool } from '../db/pool';
import { getFeeSchedule, putFeeSchedule } from '../db/queries/fees';
import { money } from '../wire/money';

/** A rule as the API receives it: decimal texts (zod kept JSON numbers' exact text). */
export interface WireFeeRule {
  percent?: string;
  fixed?: string;
  min?: string;
  max?: string | null;
}

export type WireFeeSchedule = Partial<Record<FeeKind, WireFeeRule | null>>;

export const FEE_ROUNDING =
  'fee = amount × percent / 100 rounded half-up to the minor unit, + fixed, then at least min and at most max';

function parseRule(kind: string, rule: WireFeeRule, currency: Currency): FeeRule {
  const amountOf = (field: 'fixed' | 'min' | 'max', text: string | undefined | null) =>
    text === undefined || text === null ? null : parseAmountOrZero(text, currency, `${kind}.${field}`);
  const min = amountOf('min', rule.min) ?? 0n;
  const max = amountOf('max', rule.max);
  if (max !== null && min > max) {
    throw new DomainError('invalid_request', `${kind}.min must not be more than ${kind}.max`, { field: `${kind}.min` });
  }
  return {
    percentE4: rule.percent === undefined ? 0 : parsePercent(rule.percent, `${kind}.percent`),
    fixed: (amountOf('fixed', rule.fixed) ?? 0n).toString(),
    min: min.toString(),
    max: max === null ? null : max.toString(),
  };
}

function presentRule(rule: FeeRule | null, currency: Currency) {
  if (!rule) return null;
  return {
    percent: formatPercent(rule.percentE4),
    fixed: money(rule.fixed, currency),
    min: money(rule.min, currency),
    max: rule.max === null ? null : money(rule.max, currency),
  };
}

export function presentFeeSchedule(envId: string, currency: Currency, schedule: FeeSchedule) {
  return {
    env_id: envId,
    currency,
    transfer: presentRule(schedule.transfer, currency),
    withdraw: presentRule(schedule.withdraw, currency),
    payment: presentRule(schedule.payment, currency),
    rounding: FEE_ROUNDING,
  };
}

/** Replaces the schedule of the environment and currency; a kind left out or null has no fee. */
export async function setFeeSchedule(pool: Pool, envId: string, currency: Currency, wire: WireFeeSchedule) {
  const schedule = Object.fromEntries(
    FEE_KINDS.map((kind) => {
      const rule = wire[kind];
      return [kind, rule === undefined || rule === null ? null : parseRule(kind, rule, currency)];
    }),
  ) as FeeSchedule;
  await putFeeSchedule(pool, envId, currency, schedule);
  return presentFeeSchedule(envId, currency, schedule);
}

export async function readFeeSchedule(pool: Pool, envId: string, currency: Currency) {
  return presentFeeSchedule(envId, currency, await getFeeSchedule(pool, envId, currency));
}
