/**
 * GET /console: the read-only operator console. Server-rendered HTML (no script):
 * environments, wallets with balance and held, recent movements, orders, withdrawals
 * (when that table exists), a daily-volume chart, and links into the Temporal Web UI
 * for each workflow and each wallet's or environment's workflow list.
 */
import '../zod-openapi';
import { Router } from 'express';
import { z } from 'zod';
import { formatAmount, isCurrency } from '../../domain/money';
import { SEARCH_ATTRIBUTES } from '../../domain/types';
import type { Pool } from '../../db/pool';
import {
  consoleDailyVolume,
  consoleEnvironments,
  consoleMovements,
  consoleNeedsAttention,
  consoleOrders,
  consoleWallets,
  consoleWithdrawals,
} from '../../db/queries/console';
import { listCleanWindows, listMismatches } from '../../db/queries/reconciliation';
import { listSchedulesForConsole } from '../../db/queries/schedules';
import { workflowListUrl, workflowUrl } from '../../observability/logger';
import { operatorAuth } from './auth';
import { volumeCharts } from './chart';
import { html, link, raw, table, type Html } from './html';

export interface ConsoleOptions {
  pool: Pool;
  operatorToken: string | undefined;
  temporalUiUrl: string;
  namespace: string;
}

export const Query = z.object({
  env: z.string().regex(/^[0-9]{1,19}$/).optional().openapi({ description: 'Show one environment only' }),
  days: z.coerce.number().int().min(1).max(90).default(14),
});

const STYLE = `body{font-family:system-ui,sans-serif;margin:1.5rem;color:#222}h1{margin:0 0 .3rem}h2{margin-top:2rem;border-bottom:1px solid #ddd}
table{border-collapse:collapse;font-size:13px}th,td{padding:3px 8px;border-bottom:1px solid #eee;text-align:left}td.n{text-align:right}
.empty{color:#777;font-style:italic}nav a{margin-right:1rem}.status-failed,.status-suspended{color:#c62828}.status-completed,.status-active{color:#2e7d32}`;

/** Ledger idempotency ids are "<workflow id>:<step>" (src/db/ledger.ts); the dev seed's are not workflows. */
function workflowIdOf(idempotencyId: string): string | null {
  const i = idempotencyId.lastIndexOf(':');
  const id = i > 0 ? idempotencyId.slice(0, i) : idempotencyId;
  return /^[a-z_]+-[0-9]+-/.test(id) ? id : null;
}

function money(minor: unknown, currency: unknown): string {
  const c = String(currency ?? '').trim();
  return isCurrency(c) && minor !== null && minor !== undefined ? formatAmount(String(minor), c) : String(minor ?? '');
}

const cell = (v: unknown): string => (v instanceof Date ? v.toISOString().replace('T', ' ').slice(0, 19) : v === null || v === undefined ? '' : String(v));

export function consoleRoutes(opts: ConsoleOptions): Router {
  const router = Router();
  const wf = (id: string) => link(workflowUrl(opts.temporalUiUrl, opts.namespace, id), id, 'class="wf" target="_blank" rel="noopener"');
  const list = (attr: string, value: string, text: string) =>
    link(workflowListUrl(opts.temporalUiUrl, opts.namespace, `${attr}="${value}"`), text, 'class="wf-list" target="_blank" rel="noopener"');

  router.get('/console', operatorAuth(opts.operatorToken), async (req, res, next) => {
    try {
      const parsed = Query.safeParse(req.query);
      const { env, days } = parsed.success ? parsed.data : { env: undefined, days: 14 };
      const envId = env ?? null;
      const [envs, wallets, movements, orders, withdrawals, volume, attention, mismatches, cleanWindows] = await Promise.all([
        consoleEnvironments(opts.pool),
        consoleWallets(opts.pool, envId, 50),
        consoleMovements(opts.pool, envId, 50),
        consoleOrders(opts.pool, envId, 30),
        consoleWithdrawals(opts.pool, envId, 30),
        consoleDailyVolume(opts.pool, envId, days),
        consoleNeedsAttention(opts.pool, envId, 100),
        listMismatches(opts.pool, { status: 'open', envId, limit: 100 }),
        listCleanWindows(opts.pool, envId),
      ]);
      const schedules = await listSchedulesForConsole(opts.pool, envId, 50);
      const page = html`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Paynocchio console</title><style>${raw(STYLE)}</style></head><body>
<h1>Paynocchio operator console</h1>
<nav>${link('/console', 'all environments')}${link(opts.temporalUiUrl, 'Temporal Web UI', 'target="_blank" rel="noopener"')}${link('/docs', 'API docs')}${link('/metrics', 'metrics')}</nav>
<p>${envId ? html`Environment <strong>${envId}</strong>. ` : ''}Read-only. Generated ${new Date().toISOString()}.</p>
<h2>Withdrawals needing attention</h2>${table(
              'needs-attention',
              ['id', 'env', 'wallet', 'user', 'amount', 'why', 'detail', 'hold', 'transfer', 'payout', 'since', 'workflow'],
              attention.map((a) => [
                a.id, a.env_id, a.wallet_id, a.user_id, `${money(a.amount, a.currency)} ${a.currency}`,
                html`<span class="status-failed">${a.failure_code ?? 'needs_attention'}</span>`, a.failure_message ?? '',
                a.held ? 'held' : 'settled', a.stripe_transfer_id ?? '', a.stripe_payout_id ?? '', cell(a.updated_at), wf(a.workflow_id),
              ]),
              'none: every withdrawal is in flight or ended',
            )}
<h2>Reconciliation with Stripe: open mismatches</h2>${table(
              'mismatches',
              ['id', 'kind', 'object', 'stripe id', 'env', 'withdrawal', 'ledger', 'stripe', 'detected', 'last seen'],
              mismatches.map((m) => [
                m.id, html`<span class="status-failed">${m.kind}</span>`, m.object_type, m.stripe_object_id, m.env_id ?? 'unknown',
                m.withdrawal_id ?? '', m.ledger ? JSON.stringify(m.ledger) : '(no record)', m.stripe ? JSON.stringify(m.stripe) : '(not at Stripe)',
                cell(m.detected_at), cell(m.last_seen_at),
              ]),
              'none open: the ledger and Stripe tell the same story',
            )}
<h3>Last clean window per environment</h3>${table(
              'clean-windows',
              ['env', 'from', 'to', 'run'],
              cleanWindows.map((w) => [w.env_id, cell(w.window_start), cell(w.window_end), w.run_id]),
              'no reconciliation has finished clean yet',
            )}
<h2>Daily volume</h2>${volumeCharts(volume, days)}
<h2>Environments</h2>${table(
        'environments',
        ['id', 'name', 'wallets', 'active secrets', 'created', 'workflows'],
        envs.map((e) => [link(`/console?env=${e.id}`, e.id), e.name, e.wallets, e.active_secrets, cell(e.created_at), list(SEARCH_ATTRIBUTES.envId, e.id, 'workflows')]),
      )}
<h2>Wallets</h2>${table(
        'wallets',
        ['id', 'env', 'user', 'status', 'balance', 'held', 'currency', 'updated', 'workflows'],
        wallets.map((w) => [
          w.id, w.env_id, w.user_id, raw(`<span class="status-${w.status}">${w.status}</span>`),
          raw(`<span class="n">${money(w.balance, w.currency)}</span>`), money(w.held, w.currency), w.currency, cell(w.updated_at),
          list(SEARCH_ATTRIBUTES.walletId, w.id, 'workflows'),
        ]),
      )}
<h2>Recent movements</h2>${table(
        'movements',
        ['id', 'env', 'type', 'amount', 'currency', 'wallets', 'reference', 'at', 'workflow'],
        movements.map((m) => {
          const id = workflowIdOf(m.idempotency_id);
          return [m.id, m.env_id, m.type, money(m.amount, m.currency), m.currency, m.wallet_ids.join(', '), m.reference ?? '', cell(m.created_at), id ? wf(id) : m.idempotency_id];
        }),
      )}
<h2>Orders</h2>${table(
        'orders',
        ['id', 'env', 'wallet', 'user', 'product', 'amount', 'status', 'failure', 'at', 'workflow'],
        orders.map((o) => [
          o.id, o.env_id, o.wallet_id, o.user_id, o.product_id, `${money(o.amount, o.currency)} ${o.currency}`,
          raw(`<span class="status-${o.status}">${o.status}</span>`), o.failure_code ?? '', cell(o.created_at), wf(o.workflow_id),
        ]),
      )}
<h2>Withdrawals</h2>${withdrawalsTable(withdrawals, wf)}
<h2>Schedules</h2>${table(
        'schedules',
        ['id', 'env', 'wallet', 'kind', 'amount', 'when', 'status', 'refused in a row', 'last run', 'outcome', 'temporal schedule'],
        schedules.map((s) => [
          s.id, s.envId, s.walletId, s.kind, `${money(s.amount, s.currency)} ${s.currency}`,
          s.cron ? `${s.cron}${s.timezone ? ` (${s.timezone})` : ''}` : `every ${s.everySeconds} s`,
          html`<span class="status-${s.status === 'active' ? 'active' : 'failed'}">${s.status}${s.statusReason ? ` (${s.statusReason})` : ''}</span>`,
          s.consecutiveFailures, s.lastRun ? cell(new Date(s.lastRun.scheduledAt)) : '',
          s.lastRun ? `${s.lastRun.outcome}${s.lastRun.code ? ` ${s.lastRun.code}` : ''}` : '',
          link(`${opts.temporalUiUrl}/namespaces/${encodeURIComponent(opts.namespace)}/schedules/${encodeURIComponent(s.temporalScheduleId)}`, s.temporalScheduleId, 'target="_blank" rel="noopener"'),
        ]),
        'no schedules',
      )}
</body></html>`;
      res.type('html').send(page.html);
    } catch (err) {
      next(err);
    }
  });
  return router;
}

/** The withdrawals table's columns are another branch's: show the ones that exist, link workflow_id when there is one. */
function withdrawalsTable(rows: Record<string, unknown>[] | null, wf: (id: string) => Html): Html {
  if (rows === null) return html`<p class="empty" id="withdrawals">withdrawals are not recorded yet in this deployment</p>`;
  const preferred = ['id', 'env_id', 'wallet_id', 'user_id', 'amount', 'currency', 'status', 'state', 'failure_code', 'created_at', 'updated_at', 'workflow_id'];
  const present = rows[0] ? preferred.filter((c) => c in rows[0]!) : preferred.slice(0, 7);
  return table(
    'withdrawals',
    present,
    rows.map((r) =>
      present.map((c) => {
        if (c === 'workflow_id' && typeof r[c] === 'string') return wf(r[c] as string);
        if (c === 'amount') return money(r[c], r.currency);
        return cell(r[c]);
      }),
    ),
  );
}
