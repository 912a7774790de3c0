/**
 * What the chaos run's answers promise, checked against the ledger: a request answered
 * 2xx happened exactly once; any key (answered or not) had at most one effect; a
 * refused request had none.
 */
import type { Pool } from '../../src/db/pool';
import type { Outcome } from './load';

/** The ledger idempotency ids each kind of workflow posts under (see src/workflows). */
const STEPS: Record<string, string[]> = {
  topup: ['topup'],
  payment: ['charge'],
  transfer: ['transfer'],
  refund: ['refund'],
  withdraw: ['hold'],
};

export async function checkOutcomes(pool: Pool, outcomes: Outcome[]): Promise<string[]> {
  const violations: string[] = [];
  for (const o of outcomes) {
    // A NUL in a text field: refused with 422 before any workflow starts.
    if (o.kind.endsWith('_nul')) {
      if (o.status !== 422) violations.push(`${o.kind} ${o.key}: a NUL in a text field answered ${o.status}, not 422: ${JSON.stringify(o.response).slice(0, 200)}`);
      if (o.workflowId) violations.push(`${o.kind} ${o.key}: a NUL in a text field started workflow ${o.workflowId}`);
      continue;
    }
    const steps = STEPS[o.kind];
    if (!steps) continue;
    if (!o.workflowId && typeof o.status === 'number' && o.status < 300) {
      violations.push(`${o.kind} ${o.key}: 2xx without a Workflow-Id header`);
      continue;
    }
    if (!o.workflowId) continue;
    const { rows } = await pool.query<{ n: number }>(
      `select count(*)::int as n from ledger_transactions where idempotency_id = any($1::text[])`,
      [steps.map((s) => `${o.workflowId}:${s}`)],
    );
    const posted = rows[0]!.n;
    const ok = typeof o.status === 'number' && o.status < 300;
    const refused = typeof o.status === 'number' && o.status >= 400 && o.status < 500;
    if (ok && posted !== 1) violations.push(`${o.kind} ${o.key}: answered ${o.status} but posted ${posted} times`);
    if (refused && posted !== 0) violations.push(`${o.kind} ${o.key}: refused ${o.status} but posted ${posted} times`);
    if (!ok && !refused && posted > 1) violations.push(`${o.kind} ${o.key}: unresolved but posted ${posted} times`);
    if (o.kind === 'payment' && ok) {
      const order = (o.response as { order?: { id?: string } }).order;
      const check = await pool.query(`select status, transaction_id from orders where id = $1`, [order?.id ?? '0']);
      if (!['completed', 'partially_refunded', 'refunded'].includes(check.rows[0]?.status) || !check.rows[0]?.transaction_id) {
        violations.push(`payment ${o.key}: answered 200 but order ${order?.id} is ${check.rows[0]?.status}`);
      }
    }
  }
  // No hold outlives its withdrawal: after the drain every withdrawal has ended, and
  // each one that held money released or settled it exactly once.
  const open = await pool.query(`select id::text from withdrawals where status in ('awaiting_onboarding', 'processing')`);
  for (const r of open.rows) violations.push(`withdrawal ${r.id} still in flight after the drain`);
  const holds = await pool.query<{ id: string; ends: number }>(
    `select w.id::text, count(t.id)::int as ends from withdrawals w
     left join ledger_transactions t on t.idempotency_id in (w.workflow_id || ':release', w.workflow_id || ':settle')
     group by w.id having count(t.id) <> 1`,
  );
  for (const r of holds.rows) violations.push(`withdrawal ${r.id} ended its hold ${r.ends} times`);
  const held = await pool.query(`select id::text from wallets where held <> 0`);
  for (const r of held.rows) violations.push(`wallet ${r.id} still holds money after every withdrawal ended`);
  return violations;
}
