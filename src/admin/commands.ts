/**
 * The admin CLI's commands (`npm run admin -- <command>`), as a function of argv that
 * returns the exit code, so tests call it in-process. main.ts wires real deps.
 *
 *   environments create --name <name> [--id <id>] [--funding-limit <amount>] [--currency <cur>]
 *   environments list
 *   environments show <env_id>                                   (funding float: deposited, used, left)
 *   environments fund <env_id> <amount> [--currency <cur>] [--key <k>] [--reference <text>]
 *   environments credit-line <env_id> <amount> [--currency <cur>]
 *   environments rotate-secret <env_id> [--overlap-hours <h>]   (default 24)
 *   wallet show <wallet_id> [--postings <n>]
 *   ledger verify                                                (invariants + every hash chain, first broken link per environment)
 *   ledger seal [--env <env_id>]                                 (seals now what the worker's sealer would seal next)
 *   export postings --env <env_id> [--from <ts>] [--to <ts>] [--format csv|jsonl]   (streams to stdout)
 *   workflow export <workflow_id> [--out <file>]               (history JSON, for test/histories/)
 *   withdrawals resolve <withdrawal_id> --outcome released|paid_out --note <text>
 *   reconcile [--since <iso>] [--until <iso>] [--env <env_id>]   (runs the reconcile workflow, waits, prints its summary)
 *   reconcile list [--status open|resolved|all] [--env <env_id>] [--limit <n>]
 */
import { writeFileSync } from 'node:fs';
import type { Writable } from 'node:stream';
import { exportPostings, type ExportFormat } from '../db/queries/export';
import type { Client } from '@temporalio/client';
import { randomUUID } from 'node:crypto';
import { DomainError } from '../domain/errors';
import { DEFAULT_CURRENCY, formatAmount, isCurrency, parseAmount, parseAmountOrZero, type Currency } from '../domain/money';
import { createFundedEnvironment, deposit } from '../db/deposits';
import { withTransaction, type Pool } from '../db/pool';
import { environmentById, walletById, walletPostings } from '../db/queries/admin';
import { listEnvironments, rotateEnvironmentSecret } from '../db/queries/environments';
import { listFunding, setCreditLine, type Funding } from '../db/queries/funding';
import { findLedgerViolations } from '../db/queries/invariants';
import { sealLedger, verifyLedgerChains } from '../db/ledger-chain';
import { historyToJson } from './history-json';
import { signingKeyCipher } from '../signing-keys';
import { resolveNeedsAttention } from '../activities/withdrawals';
import { presentMismatch } from '../activities/reconcile';
import { listCleanWindows, listMismatches } from '../db/queries/reconciliation';
import type { ReconcileSummary } from '../domain/reconciliation';
import { startWorkflow } from '../temporal/start-workflow';

export interface AdminDeps {
  pool: () => Pool;
  temporal: () => Promise<Client>;
  out: (line: string) => void;
  err: (line: string) => void;
  /** SECRETS_PEPPER: new secrets get their signed-mode signing key sealed under it. */
  secretsPepper?: string;
  /** DEFAULT_FUNDING_LIMIT: a new environment's float without --funding-limit (major units; default 0). */
  defaultFundingLimit?: string;
  /** TEMPORAL_TASK_QUEUE: where `reconcile` starts its workflow. */
  taskQueue?: string;
  /** TEMPORAL_SEARCH_ATTRIBUTES: write search attributes on the workflows it starts (default: memo only). */
  searchAttributes?: boolean;
  /** Where `export` streams its rows (main.ts: process.stdout). */
  stdout?: Writable;
}

export const USAGE = `usage: npm run admin -- <command>
  environments create --name <name> [--id <id>] [--funding-limit <amount>] [--currency <cur>]
                                              (initial float; default DEFAULT_FUNDING_LIMIT, in USD)
  environments list
  environments show <env_id>                                    (funding float per currency: deposited, used, left)
  environments fund <env_id> <amount> [--currency <cur>] [--key <key>] [--reference <text>]
                                              (records a deposit; the same --key never deposits twice)
  environments credit-line <env_id> <amount> [--currency <cur>] (how far below zero topups may take the float)
  environments rotate-secret <env_id> [--overlap-hours <hours>]   (default 24)
  wallet show <wallet_id> [--postings <n>]
  ledger verify                                                 (exit 1 on a violation; recomputes every environment's
                                                                 hash chain and names its first broken link)
  ledger seal [--env <env_id>]                                  (seals the committed unsealed transactions now)
  export postings --env <env_id> [--from <ts>] [--to <ts>] [--format csv|jsonl] > file
                                              (every posting of the environment, from inclusive, to exclusive,
                                               ISO 8601 with a time zone; streamed with COPY, bounded memory)
  workflow export <workflow_id> [--out <file>]                  (history JSON for the replay tests)
  withdrawals resolve <withdrawal_id> --outcome released|paid_out|acknowledged --note <text>
                                                                (a needs_attention withdrawal, after checking Stripe: released|paid_out
                                                                 end its hold; acknowledged ends one with no hold left, posting nothing)
  reconcile [--since <iso time>] [--until <iso time>] [--env <env_id>]
                                              (matches Stripe with the ledger now; default window RECONCILE_LOOKBACK)
  reconcile list [--status open|resolved|all] [--env <env_id>] [--limit <n>]
                                              (mismatches, default open; and the last clean window per environment)`;

/** Exit 2: the command line is wrong (its message, then the usage). */
class UsageError extends Error {}
/** Exit 1: the command line is right, but what it names is not there or refuses it (its message only). */
class CommandFailed extends Error {}

async function requireEnvironment(pool: Pool, envId: string) {
  const env = await environmentById(pool, envId);
  if (!env) throw new CommandFailed(`environment ${envId} not found`);
  return env;
}

function flags(args: string[]): { positional: string[]; named: Map<string, string> } {
  const positional: string[] = [];
  const named = new Map<string, string>();
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a.startsWith('--')) {
      const [k, inline] = a.slice(2).split('=', 2);
      const v = inline ?? args[++i];
      if (v === undefined) throw new UsageError(`--${k} needs a value`);
      named.set(k!, v);
    } else positional.push(a);
  }
  return { positional, named };
}

const digits = (v: string | undefined, what: string): string => {
  if (!v || !/^[0-9]{1,19}$/.test(v)) throw new UsageError(`${what} must be a number`);
  return v;
};

function currencyFlag(named: Map<string, string>): Currency {
  const currency = (named.get('currency') ?? DEFAULT_CURRENCY).toUpperCase();
  if (!isCurrency(currency)) throw new UsageError(`--currency: unknown currency ${JSON.stringify(currency)}`);
  return currency;
}

/**
 * `<env_id> <amount> [--currency <cur>]` (fund, credit-line), checked in this order: the
 * command line first (exit 2), then that the environment exists (exit 1).
 */
async function environmentAmount(pool: Pool, positional: string[], named: Map<string, string>, parse: typeof parseAmount) {
  const envId = digits(positional[0], 'env_id');
  if (!positional[1]) throw new UsageError('amount is required');
  const currency = currencyFlag(named);
  const amount = parse(positional[1], currency, 'amount');
  await requireEnvironment(pool, envId);
  return { envId, currency, amount };
}

/** A float row as the operator reads it: decimal amounts, and what is left for topups. */
function presentFunding(f: Funding) {
  return {
    currency: f.currency,
    deposited: formatAmount(f.deposited, f.currency),
    used: formatAmount(f.used, f.currency),
    credit_line: formatAmount(f.creditLine, f.currency),
    left: formatAmount(f.available, f.currency),
  };
}

function isoFlag(named: Map<string, string>, name: string): string | null {
  const v = named.get(name);
  if (v === undefined) return null;
  if (!/^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2}))?$/.test(v) || Number.isNaN(Date.parse(v))) {
    throw new UsageError(`--${name} must be an ISO time such as 2026-01-01T00:00:00Z`);
  }
  return new Date(v).toISOString();
}

export async function runAdmin(argv: string[], deps: AdminDeps): Promise<number> {
  // `reconcile` alone (or with flags) runs a reconciliation; `reconcile list` lists.
  const [group, command, ...rest] = argv[0] === 'reconcile' && argv[1] !== 'list' ? ['reconcile', 'run', ...argv.slice(1)] : argv;
  try {
    const { positional, named } = flags(rest);
    const cipher = deps.secretsPepper ? signingKeyCipher(deps.secretsPepper) : undefined;
    switch (`${group ?? ''} ${command ?? ''}`) {
      case 'environments create': {
        const name = named.get('name');
        if (!name) throw new UsageError('--name is required');
        const id = named.has('id') ? digits(named.get('id'), '--id') : undefined;
        const currency = currencyFlag(named);
        const float = parseAmountOrZero(named.get('funding-limit') ?? deps.defaultFundingLimit ?? '0', currency, '--funding-limit');
        const env = await createFundedEnvironment(deps.pool(), name, [{ currency, amount: float }], { ...(id ? { id } : {}), cipher });
        deps.out(JSON.stringify({ id: env.id, name, secret: env.secret, funding: { currency, deposited: formatAmount(float, currency) } }));
        deps.err('store the secret now: only its digest is kept');
        if (float === 0n) deps.err(`no funding float: topups are refused until a deposit is recorded (environments fund ${env.id} <amount>)`);
        return 0;
      }
      case 'environments show': {
        const envId = digits(positional[0], 'env_id');
        const env = await requireEnvironment(deps.pool(), envId);
        const funding = (await listFunding(deps.pool(), envId)).map(presentFunding);
        deps.out(JSON.stringify({ ...env, funding }, null, 2));
        return 0;
      }
      case 'environments fund': {
        const { envId, currency, amount } = await environmentAmount(deps.pool(), positional, named, parseAmount);
        const key = named.get('key') ?? randomUUID();
        // Said before the deposit: a run cut off after its commit (a lost connection, a killed
        // terminal) is re-run with this key and deposits nothing twice.
        if (!named.has('key')) deps.err(`deposit key ${key}: if this command is interrupted, run it again with --key ${key} (a key never deposits twice)`);
        const done = await deposit(deps.pool(), {
          envId,
          currency,
          amount,
          idempotencyId: `deposit:${envId}:${key}`,
          reference: named.get('reference') ?? 'deposit (admin CLI)',
        });
        deps.out(
          JSON.stringify({
            env_id: envId,
            transaction_id: done.transactionId,
            key,
            amount: formatAmount(amount, currency),
            replayed: done.replayed,
            ...presentFunding(done.funding),
          }),
        );
        if (done.replayed) deps.err(`--key ${key} was used before: nothing deposited now`);
        return 0;
      }
      case 'environments credit-line': {
        const { envId, currency, amount: line } = await environmentAmount(deps.pool(), positional, named, parseAmountOrZero);
        const set = await withTransaction(deps.pool(), (c) => setCreditLine(c, envId, currency, line));
        if (!set) throw new CommandFailed(`environment ${envId} has used more ${currency} than its deposits plus ${formatAmount(line, currency)}: deposit first`);
        deps.out(JSON.stringify({ env_id: envId, ...presentFunding(set) }));
        return 0;
      }
      case 'export postings': {
        const envId = digits(named.get('env'), '--env');
        const when = (flag: 'from' | 'to'): Date | null => {
          const v = named.get(flag);
          if (v === undefined) return null;
          const d = /^\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:?\d{2}))?$/.test(v) ? new Date(v) : new Date(NaN);
          if (Number.isNaN(d.getTime())) throw new UsageError(`--${flag} must be an ISO 8601 date or timestamp with a time zone (2026-01-31T00:00:00Z)`);
          return d;
        };
        const format = named.get('format') ?? 'csv';
        if (format !== 'csv' && format !== 'jsonl') throw new UsageError('--format must be csv or jsonl');
        const from = when('from');
        const to = when('to');
        if (from && to && from.getTime() >= to.getTime()) throw new UsageError('--from must be before --to');
        await requireEnvironment(deps.pool(), envId);
        if (!deps.stdout) throw new Error('export needs an output stream');
        await exportPostings(deps.pool(), { envId, from, to, format: format as ExportFormat }, deps.stdout);
        return 0;
      }
      case 'environments list': {
        for (const e of await listEnvironments(deps.pool())) deps.out(JSON.stringify(e));
        return 0;
      }
      case 'environments rotate-secret': {
        const envId = digits(positional[0], 'env_id');
        const hours = Number(named.get('overlap-hours') ?? 24);
        if (!Number.isFinite(hours) || hours < 0) throw new UsageError('--overlap-hours must be a number >= 0');
        const rotated = await withTransaction(deps.pool(), (c) => rotateEnvironmentSecret(c, envId, Math.round(hours * 3600), cipher));
        if (!rotated) throw new CommandFailed(`environment ${envId} not found`);
        deps.out(JSON.stringify({ env_id: envId, secret: rotated.secret, old_secrets_expire_at: rotated.oldExpireAt }));
        return 0;
      }
      case 'wallet show': {
        const walletId = digits(positional[0], 'wallet_id');
        const wallet = await walletById(deps.pool(), walletId);
        if (!wallet) throw new CommandFailed(`wallet ${walletId} not found`);
        const postings = await walletPostings(deps.pool(), walletId, Number(named.get('postings') ?? 20));
        deps.out(
          JSON.stringify(
            {
              ...wallet,
              balance_text: formatAmount(wallet.balance, wallet.currency),
              held_text: formatAmount(wallet.held, wallet.currency),
              recent_postings: postings,
            },
            null,
            2,
          ),
        );
        return 0;
      }
      case 'ledger verify': {
        const violations = await findLedgerViolations(deps.pool());
        // The tamper-evident ledger: each environment's first broken link (environment,
        // transaction id, expected vs stored).
        for (const link of await verifyLedgerChains(deps.pool())) {
          violations.push({
            rule: `hash chain of environment ${link.envId}: ${link.problem}`,
            ids: [link.transactionId],
            env_id: link.envId,
            transaction_id: link.transactionId,
            seal_seq: link.sealSeq,
            expected: link.expected,
            stored: link.stored,
          } as (typeof violations)[number]);
        }
        if (!violations.length) {
          deps.out('ledger ok: every invariant holds');
          return 0;
        }
        for (const v of violations) deps.out(JSON.stringify(v));
        deps.err(`${violations.length} invariant(s) violated`);
        return 1;
      }
      case 'ledger seal': {
        const env = named.get('env');
        const sealed = await sealLedger(deps.pool(), { wait: true, ...(env ? { envId: digits(env, '--env') } : {}) });
        deps.out(`sealed ${sealed} ledger transaction(s)`);
        return 0;
      }
      case 'workflow export': {
        const workflowId = positional[0];
        if (!workflowId) throw new UsageError('workflow_id is required');
        const client = await deps.temporal();
        const history = await client.workflow.getHandle(workflowId).fetchHistory();
        const json = historyToJson(history);
        const out = named.get('out');
        if (out) {
          writeFileSync(out, json);
          deps.err(`wrote ${history.events?.length ?? 0} events to ${out}`);
        } else deps.out(json);
        return 0;
      }
      case 'withdrawals resolve': {
        const withdrawalId = digits(positional[0], 'withdrawal_id');
        const outcome = named.get('outcome');
        if (outcome !== 'released' && outcome !== 'paid_out' && outcome !== 'acknowledged') {
          throw new UsageError('--outcome must be released, paid_out or acknowledged');
        }
        const note = named.get('note');
        if (!note) throw new UsageError('--note is required (what Stripe showed, who decided)');
        const resolved = await resolveNeedsAttention(deps.pool(), { withdrawalId, outcome, note }).catch((err: unknown) => {
          throw err instanceof DomainError ? new CommandFailed(err.message) : err;
        });
        deps.out(JSON.stringify({ id: resolved.id, status: resolved.status }));
        return 0;
      }
      case 'reconcile run': {
        const since = isoFlag(named, 'since');
        const until = isoFlag(named, 'until');
        if (since && until && since > until) throw new UsageError('--since must be before --until');
        if (since && since > new Date().toISOString()) throw new UsageError('--since is in the future');
        const envId = named.has('env') ? digits(named.get('env'), '--env') : null;
        if (envId) await requireEnvironment(deps.pool(), envId);
        if (positional.length) throw new UsageError(`unexpected argument: ${positional[0]}`);
        const client = await deps.temporal();
        const workflowId = `reconcile-manual-${randomUUID()}`;
        deps.err(`reconciling (workflow ${workflowId})…`);
        const started = await startWorkflow(
          { client, taskQueue: deps.taskQueue ?? 'paynocchio', searchAttributes: deps.searchAttributes ?? false },
          'reconcile',
          { workflowId, args: [{ since, until, envId }], subject: envId ? { envId } : {}, executionTimeout: '6h' },
        );
        const s: ReconcileSummary = await started.result();
        deps.out(
          JSON.stringify({
            workflow_id: workflowId, run_id: s.runId, env_id: s.envId, since: s.since, until: s.until, examined: s.examined,
            matched: s.matched, opened: s.opened, resolved: s.resolved, open_in_scope: s.openInScope, pages: s.pages,
          }),
        );
        return 0;
      }
      case 'reconcile list': {
        const status = named.get('status') ?? 'open';
        if (!['open', 'resolved', 'all'].includes(status)) throw new UsageError('--status must be open, resolved or all');
        const envId = named.has('env') ? digits(named.get('env'), '--env') : null;
        const limit = Number(named.get('limit') ?? 100);
        if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) throw new UsageError('--limit must be between 1 and 10000');
        const mismatches = await listMismatches(deps.pool(), { status: status === 'all' ? null : (status as 'open' | 'resolved'), envId, limit });
        const windows = await listCleanWindows(deps.pool(), envId);
        deps.out(
          JSON.stringify(
            {
              mismatches: mismatches.map(presentMismatch),
              last_clean_windows: windows.map((w) => ({
                env_id: w.env_id, since: w.window_start.toISOString(), until: w.window_end.toISOString(), run_id: w.run_id,
              })),
            },
            null,
            2,
          ),
        );
        return 0;
      }
      default:
        throw new UsageError(group ? `unknown command: ${[group, command].filter(Boolean).join(' ')}` : 'no command given');
    }
  } catch (err) {
    if (err instanceof UsageError) {
      deps.err(`${err.message}\n${USAGE}`);
      return 2;
    }
    if (err instanceof CommandFailed) {
      deps.err(err.message);
      return 1;
    }
    if (err instanceof DomainError && err.code === 'invalid_request') {
      deps.err(err.message);
      return 2;
    }
    throw err;
  }
}
