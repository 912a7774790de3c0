/**
 * Whether a chaos run proved anything: a run passes only when its faults happened
 * (kills, restarts), its load was carried (enough requests of every kind answered as
 * they should be), nothing was left unanswered, no answer was one the load should
 * never get (401, 404, …: a load that never reached the API, or reached it with the
 * wrong secret, proves nothing), and the checks (scripts/chaos/checks.ts) and the
 * ledger invariants found no violation. Pure, unit-tested (test/unit/chaos-checks.test.ts).
 */
import type { KindFigures } from './checks';

export interface ChaosThresholds {
  /** Worker SIGKILLs (in all, across the workers). */
  minKills: number;
  minTemporalRestarts: number;
  minPostgresRestarts: number;
  /** Requests of EVERY kind the run sends carried to their intended end (2xx; 422 for the NUL ones). */
  minCarriedPerKind: number;
  /** Requests with no final answer (network errors or 5xx/429 after every retry). */
  maxUnresolved: number;
  /** Final answers no request of the load should get (401, 403, 404, an unlisted 4xx). */
  maxUnexpected: number;
}

/** `npm run chaos`: the full run. */
export const FULL_THRESHOLDS: ChaosThresholds = {
  minKills: 20,
  minTemporalRestarts: 1,
  minPostgresRestarts: 1,
  minCarriedPerKind: 1_000,
  maxUnresolved: 0,
  maxUnexpected: 0,
};

/** What verdict() reads from a run. */
export interface RunFigures {
  kills: number;
  restarts: { temporal: number; postgres: number };
  /** Every kind the run sends, with its figures (a kind never sent has sent 0). */
  kinds: Record<string, KindFigures>;
  violations: string[];
}

export interface Requirement {
  requirement: string;
  wanted: string;
  got: string;
  met: boolean;
  /** Why the run fails, when not met. */
  reason: string;
}

const sum = (m: Record<string, number>) => Object.values(m).reduce((s, n) => s + n, 0);

/** Every requirement of the thresholds, met or not (CHAOS.md's table). */
export function requirements(run: RunFigures, t: ChaosThresholds): Requirement[] {
  const rows: Requirement[] = [];
  const atLeast = (requirement: string, got: number, min: number, reason: string) =>
    rows.push({ requirement, wanted: `≥ ${min.toLocaleString('en')}`, got: got.toLocaleString('en'), met: got >= min, reason });
  atLeast('worker kills', run.kills, t.minKills, `the worker was killed ${run.kills} times, fewer than ${t.minKills}`);
  atLeast('Temporal restarts', run.restarts.temporal, t.minTemporalRestarts, `Temporal was restarted ${run.restarts.temporal} times, fewer than ${t.minTemporalRestarts}`);
  atLeast('Postgres restarts', run.restarts.postgres, t.minPostgresRestarts, `Postgres was restarted ${run.restarts.postgres} times, fewer than ${t.minPostgresRestarts}`);
  const kinds = Object.entries(run.kinds);
  if (!kinds.length) rows.push({ requirement: 'kinds of request sent', wanted: '≥ 1', got: '0', met: false, reason: 'the run sent no kind of request' });
  for (const [kind, f] of kinds) {
    atLeast(`${kind} requests carried`, f.carried, t.minCarriedPerKind, `${kind}: ${f.carried} of ${f.sent} requests carried, fewer than ${t.minCarriedPerKind}`);
  }
  const atMost = (requirement: string, field: 'unresolved' | 'unexpected', max: number, what: string) => {
    const got = kinds.reduce((s, [, f]) => s + sum(f[field]), 0);
    const detail = kinds.filter(([, f]) => sum(f[field])).map(([k, f]) => `${k} ${JSON.stringify(f[field])}`).join(', ');
    rows.push({ requirement, wanted: `≤ ${max}`, got: got.toLocaleString('en'), met: got <= max, reason: `${got} ${what} (more than ${max}): ${detail}` });
  };
  atMost('requests unresolved (no answer, or 5xx/429 after every retry)', 'unresolved', t.maxUnresolved, 'requests unresolved');
  atMost('answers no request should get (401, 404, an unlisted 4xx)', 'unexpected', t.maxUnexpected, 'answers no request of the load should get');
  rows.push({
    requirement: 'violations (effects against requests, balances, orders, withdrawals, drain, ledger invariants)',
    wanted: '0',
    got: run.violations.length.toLocaleString('en'),
    met: run.violations.length === 0,
    reason: `${run.violations.length} violations of the checks (first: ${run.violations[0]})`,
  });
  return rows;
}

/** The reasons the run fails; empty when it passes. */
export function verdict(run: RunFigures, t: ChaosThresholds): string[] {
  return requirements(run, t)
    .filter((r) => !r.met)
    .map((r) => r.reason);
}
