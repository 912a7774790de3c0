/**
 * GET /console: the read-only operator console. Server-rendered HTML (no script). It
 * opens on what needs an operator: withdrawal holds older than a day, withdrawals
 * needing attention, failing webhook endpoints, open reconciliation mismatches; then
 * the wallets with balance and held, a daily-volume chart, environments, recent ledger
 * transactions, orders, withdrawals, schedules, with links into the Temporal Web UI for
 * each workflow and each wallet's or environment's workflow list.
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
  consoleFailingEndpoints,
  consoleNeedsAttention,
  consoleOldHolds,
  consoleOrders,
  consoleTransactions,
  consoleWallets,
  consoleWithdrawals,
  type ConsoleWithdrawalRow,
} from '../../db/queries/console';
import { listCleanWindows, listMismatches } from '../../db/queries/reconciliation';
import { listSchedulesForConsole } from '../../db/queries/schedules';
import { workflowListUrl, workflowUrl } from '../../observability/logger';
import { operatorAuth } from './auth';
import { volumeCharts, withThousands } from './chart';
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
.empty{color:#777;font-style:italic}nav a{margin-right:1rem}#needs-summary{font-size:15px}#needs-summary .some{color:#c62828;font-weight:600}.status-failed,.status-suspended{color:#c62828}.status-completed,.status-active{color:#2e7d32}`;

/** Ledger idempotency ids are "<workflow id>:<step>" (src/db/ledger.ts); the dev seed's are not workflows. */
function workflowIdOf(idempotencyId: string): string | null {
  const i = idempotencyId.lastIndexOf(':');
  const id = i > 0 ? idempotencyId.slice(0, i) : idempotencyId;
  return /^[a-z_]+-[0-9]+-/.test(id) ? id : null;
}

function money(minor: unknown, currency: unknown): string {
  const c = String(currency ?? '').trim();
  return isCurrency(c) && minor !== null && minor !== undefined ? withThousands(formatAmount(String(minor), c)) : String(minor ?? '');
}

/** "3 failing webhook endpoints", red when any. */
function count(n: number, one: string, many: string): Html {
  return html`<span class="${n ? 'some' : 'none'}">${n} ${n === 1 ? one : many}</span>`;
}

/** How long ago, in whole days and hours: "2 d 4 h". */
function age(since: Date, now = Date.now()): string {
  const hours = Math.floor((now - since.getTime()) / 3_600_000);
  return `${Math.floor(hours / 24)} d ${hours % 24} h`;
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
      const [oldHolds, attention, failingEndpoints, mismatches, wallets, volume, envs, transactions, orders, withdrawals, schedules, cleanWindows] =
        await Promise.all([
          consoleOldHolds(opts.pool, envId, 100),
          consoleNeedsAttention(opts.pool, envId, 100),
          consoleFailingEndpoints(opts.pool, envId, 100),
          listMismatches(opts.pool, { status: 'open', envId, limit: 100 }),
          consoleWallets(opts.pool, envId, 50),
          consoleDailyVolume(opts.pool, envId, days),
          consoleEnvironments(opts.pool),
          consoleTransactions(opts.pool, envId, 50),
          consoleOrders(opts.pool, envId, 30),
          consoleWithdrawals(opts.pool, envId, 30),
          listSchedulesForConsole(opts.pool, envId, 50),
          listCleanWindows(opts.pool, envId),
        ]);
      const withdrawalRow = (w: ConsoleWithdrawalRow, extra: (Html | string)[] = []) => [
        w.id, w.env_id, w.wallet_id, w.user_id, `${money(w.amount, w.currency)} ${w.currency}`,
        raw(`<span class="status-${w.status}">${w.status}</span>`), ...extra, cell(w.created_at), wf(w.workflow_id),
      ];
      const page = html`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Paynocchio console</title><style>${raw(STYLE)}</style></head><body>
<h1>Paynocchio operator console</h1>
<nav>${link('/console', 'all environments')}${link(opts.temporalUiUrl, 'Temporal Web UI', 'target="_blank" rel="noopener"')}${link('/docs', 'API docs')}${link('/metrics', 'metrics')}</nav>
<p>${envId ? html`Environment <strong>${envId}</strong>. ` : ''}Read-only. Generated ${new Date().toISOString()}.</p>
<p id="needs-summary">Needs you: ${count(oldHolds.length, 'hold older than a day', 'holds older than a day')} ·
${count(attention.length, 'withdrawal needing attention', 'withdrawals needing attention')} ·
${count(failingEndpoints.length, 'failing webhook endpoint', 'failing webhook endpoints')} ·
${count(mismatches.length, 'open reconciliation mismatch', 'open reconciliation mismatches')}</p>
<h2>Holds older than a day</h2>${table(
        'old-holds',
        ['id', 'env', 'wallet', 'user', 'held', 'status', 'held for', 'since', 'workflow'],
        oldHolds.map((w) => withdrawalRow(w, [age(w.created_at)])),
        'none: every withdrawal in flight started less than a day ago',
      )}
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
<h2>Failing webhook endpoints</h2>${table(
        'failing-webhooks',
        ['endpoint', 'env', 'url', 'retrying', 'given up (7 days)', 'last status', 'last failure'],
        failingEndpoints.map((e) => [
          e.id, e.env_id, e.url, e.retrying, e.failed_7d, e.last_status_code === null ? 'no answer' : String(e.last_status_code), cell(e.last_failure_at),
        ]),
        'none: every enabled endpoint took its last deliveries',
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
<h2>Wallets</h2>${table(
        'wallets',
        ['id', 'env', 'user', 'status', 'balance', 'held', 'currency', 'updated', 'workflows'],
        wallets.map((w) => [
          w.id, w.env_id, w.user_id, raw(`<span class="status-${w.status}">${w.status}</span>`),
          raw(`<span class="n">${money(w.balance, w.currency)}</span>`), money(w.held, w.currency), w.currency, cell(w.updated_at),
          list(SEARCH_ATTRIBUTES.walletId, w.id, 'workflows'),
        ]),
      )}
<h2>Daily volume</h2>${volumeCharts(volume, days)}
<h2>Environments</h2>${table(
        'environments',
        ['id', 'name', 'wallets', 'active secrets', 'created', 'workflows'],
        envs.map((e) => [link(`/console?env=${e.id}`, e.id), e.name, e.wallets, e.active_secrets, cell(e.created_at), list(SEARCH_ATTRIBUTES.envId, e.id, 'workflows')]),
      )}
<h2>Recent ledger transactions</h2>${table(
        'transactions',
        ['id', 'env', 'type', 'amount', 'currency', 'wallets', 'reference', 'at', 'workflow'],
        transactions.map((t) => {
          const id = workflowIdOf(t.idempotency_id);
          return [t.id, t.env_id, t.type, money(t.amount, t.currency), t.currency, t.wallet_ids.join(', '), t.reference ?? '', cell(t.created_at), id ? wf(id) : t.idempotency_id];
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
<h2>Withdrawals</h2>${table(
        'withdrawals',
        ['id', 'env', 'wallet', 'user', 'amount', 'status', 'failure', 'created', 'workflow'],
        withdrawals.map((w) => withdrawalRow(w, [w.failure_code ?? ''])),
        'no withdrawals',
      )}
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
