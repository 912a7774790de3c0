/**
 * Reconciliation with Stripe (issue 13, part 2): the activities of src/workflows/reconcile.ts.
 *
 * A run covers Stripe objects created in its window [since, until]. Each page activity
 * lists one page of one of Stripe's lists (RECONCILE_LISTS) and matches every object with
 * the ledger's record (the withdrawal that recorded its id, else the one its metadata
 * names) by id, amount, currency and status; the last list is the ledger's own side: the
 * withdrawals with a Stripe id recorded that no list showed (retrieved one by one: gone at
 * Stripe = missing_at_stripe). Every difference is upserted as a mismatch, unique per
 * (kind, Stripe object), so a page done twice (a retried activity, a rerun) finds each
 * difference once; an object found matching closes its open mismatches as `resolved`.
 *
 * PaymentIntents: there are no card top-ups yet. When they exist, add 'payment_intents'
 * to RECONCILE_LISTS (before 'ledger'), a `paymentIntents.list` to ReconcileStripe and a
 * `case 'payment_intents'` in reconcilePage matching each intent with its topup by
 * metadata (object_type 'payment_intent' is already allowed by migration 013).
 */
import { withTransaction, type Pool, type PoolClient } from '../db/pool';
import {
  beginRun,
  finishRun,
  listStripeAccountIds,
  listUnseenLedgerObjects,
  markSeen,
  resolveMismatches,
  upsertMismatch,
  wasSeen,
  type MismatchFacts,
  type MismatchKind,
  type MismatchRow,
  type StripeObjectType,
} from '../db/queries/reconciliation';
import { findWithdrawalById, findWithdrawalByStripeId } from '../db/queries/withdrawals';
import { recordEvent } from '../db/queries/outbox';
import type { Withdrawal } from '../domain/withdrawals';
import { observeStripeCall, reconciliationMismatches } from '../observability/metrics';
import type { Stripe } from '../stripe';
import { withStripeFailures } from './stripe-failures';
import type { PageCounts, ReconcileList, ReconcilePageResult, ReconcileSummary, ReconcileWindow } from '../domain/reconciliation';

/** The default window when no `since` is given: objects created in the last 7 days (a payout settles within days). */
export const DEFAULT_RECONCILE_LOOKBACK_MS = 7 * 24 * 3600_000;

// ---- The Stripe calls reconciliation makes (the real client has them; tests pass a fake). ----

export interface StripePage<T> {
  data: T[];
  has_more: boolean;
}
type Metadata = Record<string, string> | null | undefined;
export interface ReversalLike {
  id: string;
  amount: number;
  currency: string;
  created: number;
  transfer: string | { id: string };
  metadata?: Metadata;
}
export interface TransferLike {
  id: string;
  amount: number;
  amount_reversed: number;
  currency: string;
  created: number;
  destination?: string | { id: string } | null;
  metadata?: Metadata;
  reversals?: StripePage<ReversalLike> | null;
}
export interface PayoutLike {
  id: string;
  amount: number;
  currency: string;
  created: number;
  status: string;
  metadata?: Metadata;
}
export interface ListParams {
  limit: number;
  created: { gte: number; lte: number };
  starting_after?: string;
}
export interface ReconcileStripe {
  transfers: {
    list(params: ListParams): PromiseLike<StripePage<TransferLike>>;
    listReversals(id: string, params: { limit: number; starting_after?: string }): PromiseLike<StripePage<ReversalLike>>;
    retrieve(id: string): PromiseLike<TransferLike>;
  };
  payouts: {
    list(params: ListParams, options: { stripeAccount: string }): PromiseLike<StripePage<PayoutLike>>;
    retrieve(id: string, params: Record<string, never>, options: { stripeAccount: string }): PromiseLike<PayoutLike>;
  };
}

export interface ReconcileDeps {
  pool: Pool;
  stripe: Stripe;
  /** Stand-in for Stripe's list/retrieve calls (tests inject differences stripe-mock cannot hold); default: `stripe`. */
  reconcileStripe?: ReconcileStripe;
  /** RECONCILE_LOOKBACK_MS: the window's length when no `since` is given. */
  reconcileLookbackMs?: number;
}

const emptyCounts = (): PageCounts => ({ examined: 0, matched: 0, opened: 0, resolved: 0 });

// ---- Matching. ----

interface Observed {
  type: StripeObjectType;
  id: string;
  amount: bigint;
  currency: string;
  created: number;
  /** Our name for its state: transfers paid | partially_reversed | reversed; payouts Stripe's status; reversals 'reversed'. */
  status: string;
  facts: Record<string, unknown>;
  metadataEnvId: string | null;
  metadataWithdrawalId: string | null;
  /** The transfer a reversal belongs to. */
  transferId?: string;
}

const idOf = (v: string | { id: string } | null | undefined): string | null => (v == null ? null : typeof v === 'string' ? v : v.id);
const digitsOrNull = (v: unknown): string | null => (typeof v === 'string' && /^[0-9]{1,18}$/.test(v) ? v : null);
const iso = (seconds: number): string => new Date(seconds * 1000).toISOString();

function metadataOf(m: Metadata): { envId: string | null; withdrawalId: string | null; shown: Record<string, string> } {
  const envId = digitsOrNull(m?.env_id);
  const withdrawalId = digitsOrNull(m?.withdrawal_id);
  return { envId, withdrawalId, shown: { ...(envId ? { env_id: envId } : {}), ...(withdrawalId ? { withdrawal_id: withdrawalId } : {}) } };
}

function observeTransfer(t: TransferLike): Observed {
  const m = metadataOf(t.metadata);
  const status = t.amount_reversed <= 0 ? 'paid' : t.amount_reversed >= t.amount ? 'reversed' : 'partially_reversed';
  return {
    type: 'transfer', id: t.id, amount: BigInt(t.amount), currency: t.currency, created: t.created, status,
    metadataEnvId: m.envId, metadataWithdrawalId: m.withdrawalId,
    facts: {
      id: t.id, object: 'transfer', amount: String(t.amount), amount_reversed: String(t.amount_reversed), currency: t.currency,
      status, destination: idOf(t.destination), created: iso(t.created), metadata: m.shown,
    },
  };
}

function observeReversal(r: ReversalLike): Observed {
  const m = metadataOf(r.metadata);
  const transferId = idOf(r.transfer)!;
  return {
    type: 'transfer_reversal', id: r.id, amount: BigInt(r.amount), currency: r.currency, created: r.created, status: 'reversed',
    metadataEnvId: m.envId, metadataWithdrawalId: m.withdrawalId, transferId,
    facts: { id: r.id, object: 'transfer_reversal', amount: String(r.amount), currency: r.currency, transfer: transferId, created: iso(r.created), metadata: m.shown },
  };
}

function observePayout(p: PayoutLike, account: string): Observed {
  const m = metadataOf(p.metadata);
  return {
    type: 'payout', id: p.id, amount: BigInt(p.amount), currency: p.currency, created: p.created, status: p.status,
    metadataEnvId: m.envId, metadataWithdrawalId: m.withdrawalId,
    facts: { id: p.id, object: 'payout', amount: String(p.amount), currency: p.currency, status: p.status, account, created: iso(p.created), metadata: m.shown },
  };
}

function ledgerFacts(w: Withdrawal): Record<string, unknown> {
  return {
    withdrawal_id: w.id, env_id: w.envId, status: w.status, amount: w.amount, currency: w.currency,
    stripe_account_id: w.stripeAccountId, stripe_transfer_id: w.stripeTransferId, stripe_payout_id: w.stripePayoutId,
  };
}

/**
 * What the withdrawal's status says Stripe should show for the object; null when any state
 * is acceptable (in flight: a webhook may be on its way; needs_attention: an operator decides).
 */
function expectedStatus(o: Observed, w: Withdrawal): string[] | null {
  if (w.status === 'needs_attention') return null;
  if (o.type === 'transfer') {
    if (w.status === 'processing' || w.status === 'awaiting_onboarding') return null;
    // The money came back to the wallet only after the transfer was reversed in full.
    return w.status === 'paid' ? ['paid'] : ['reversed'];
  }
  if (o.type === 'payout') {
    if (w.status === 'processing') return ['pending', 'in_transit'];
    if (w.status === 'paid') return ['paid'];
    return ['failed', 'canceled'];
  }
  // A reversal: the withdrawal must not be paid (it would have paid out and taken back).
  return w.status === 'paid' ? ['no reversal'] : null;
}

/** The differences between one Stripe object and its withdrawal (none: they match). */
function differences(o: Observed, w: Withdrawal | null): MismatchKind[] {
  if (!w) return ['missing_in_ledger'];
  const kinds: MismatchKind[] = [];
  if (o.amount !== BigInt(w.amount) || o.currency.toUpperCase() !== w.currency.toUpperCase()) kinds.push('amount_differs');
  const expected = expectedStatus(o, w);
  if (expected && !expected.includes(o.status)) kinds.push('status_differs');
  return kinds;
}

export function presentMismatch(m: MismatchRow) {
  return {
    id: m.id,
    kind: m.kind,
    status: m.status,
    object_type: m.object_type,
    stripe_object_id: m.stripe_object_id,
    env_id: m.env_id,
    withdrawal_id: m.withdrawal_id,
    ledger: m.ledger,
    stripe: m.stripe,
    detected_at: m.detected_at.toISOString(),
    last_seen_at: m.last_seen_at.toISOString(),
    resolved_at: m.resolved_at?.toISOString() ?? null,
  };
}

function isNotFound(err: unknown): boolean {
  const e = err as { statusCode?: number; code?: string } | null;
  return e?.statusCode === 404 || e?.code === 'resource_missing';
}

export function createReconcileActivities(deps: ReconcileDeps) {
  const { pool } = deps;
  const stripe: ReconcileStripe = deps.reconcileStripe ?? (deps.stripe as unknown as ReconcileStripe);
  const lookbackMs = deps.reconcileLookbackMs ?? DEFAULT_RECONCILE_LOOKBACK_MS;

  async function environmentExists(envId: string): Promise<boolean> {
    const { rows } = await pool.query('select 1 from environments where id = $1', [envId]);
    return rows.length > 0;
  }

  async function withdrawalFor(o: Observed): Promise<Withdrawal | null> {
    const byId =
      o.type === 'transfer'
        ? await findWithdrawalByStripeId(pool, 'transfer', o.id)
        : o.type === 'payout'
          ? await findWithdrawalByStripeId(pool, 'payout', o.id)
          : await findWithdrawalByStripeId(pool, 'transfer', o.transferId!);
    if (byId) return byId;
    // The workflow may not have recorded the id yet (its activity's answer was lost): the metadata names it.
    if (!o.metadataWithdrawalId) return null;
    const named = await findWithdrawalById(pool, o.metadataWithdrawalId);
    if (!named || (o.metadataEnvId && named.envId !== o.metadataEnvId)) return null;
    // A second transfer or payout for a withdrawal that recorded another one is not the ledger's: it is missing there.
    const recorded = o.type === 'transfer' ? named.stripeTransferId : o.type === 'payout' ? named.stripePayoutId : null;
    return recorded && recorded !== o.id ? null : named;
  }

  /** Stores what one object's comparison found; answers null when the object is out of the run's scope. */
  async function judge(run: ReconcileWindow, o: Observed, w: Withdrawal | null, kinds: MismatchKind[]): Promise<PageCounts | null> {
    let envId = w?.envId ?? null;
    if (!envId && o.metadataEnvId && (await environmentExists(o.metadataEnvId))) envId = o.metadataEnvId;
    if (run.envId && envId !== run.envId) return null;
    const counts = emptyCounts();
    counts.examined = 1;
    const opened: MismatchKind[] = [];
    await withTransaction(pool, async (client: PoolClient) => {
      for (const kind of kinds) {
        const facts: MismatchFacts = {
          kind, stripeObjectId: o.id, objectType: o.type, envId, withdrawalId: w?.id ?? null,
          ledger: w ? ledgerFacts(w) : null,
          stripe: kind === 'missing_at_stripe' ? null : o.facts,
        };
        const done = await upsertMismatch(client, run.runId, facts);
        if (!done.opened) continue;
        opened.push(kind);
        // The merchant hears of it in the environment the object belongs to (unknown: the operator's lists only).
        if (envId) await recordEvent(client, envId, 'reconciliation.mismatch', { mismatch: presentMismatch(done.row) });
      }
      counts.resolved = await resolveMismatches(client, run.runId, o.id, kinds);
    });
    // Counted after the commit: a retried page finds the row open and counts nothing.
    for (const kind of opened) reconciliationMismatches.inc({ kind });
    counts.opened = opened.length;
    if (!kinds.length) counts.matched = 1;
    return counts;
  }

  const add = (a: PageCounts, b: PageCounts | null) => {
    if (!b) return;
    a.examined += b.examined;
    a.matched += b.matched;
    a.opened += b.opened;
    a.resolved += b.resolved;
  };

  function inWindow(run: ReconcileWindow, created: number): boolean {
    const ms = created * 1000;
    return ms >= Date.parse(run.since) && ms <= Date.parse(run.until);
  }

  async function observeAndJudge(run: ReconcileWindow, o: Observed): Promise<PageCounts | null> {
    const w = await withdrawalFor(o);
    return judge(run, o, w, differences(o, w));
  }

  /** A transfer and every reversal of it. */
  async function transferWithReversals(run: ReconcileWindow, t: TransferLike, counts: PageCounts): Promise<string[]> {
    const seen = [t.id];
    add(counts, await observeAndJudge(run, observeTransfer(t)));
    let reversals = t.reversals ?? { data: [], has_more: false };
    for (let pages = 0; ; pages++) {
      for (const r of reversals.data) {
        seen.push(r.id);
        add(counts, await observeAndJudge(run, observeReversal(r)));
      }
      if (!reversals.has_more || !reversals.data.length || pages >= 100) break;
      reversals = await observeStripeCall('transfers.listReversals', () => stripe.transfers.listReversals(t.id, { limit: 100, starting_after: reversals.data.at(-1)!.id }));
    }
    return seen;
  }

  const created = (run: ReconcileWindow) => ({ gte: Math.floor(Date.parse(run.since) / 1000), lte: Math.floor(Date.parse(run.until) / 1000) });

  const pages: Record<ReconcileList, (run: ReconcileWindow, cursor: string | null, limit: number) => Promise<ReconcilePageResult>> = {
    /** One page of the platform's transfers (their reversals come with each). */
    async transfers(run, cursor, limit) {
      const counts = emptyCounts();
      const page = await observeStripeCall('transfers.list', () => stripe.transfers.list({ limit, created: created(run), ...(cursor ? { starting_after: cursor } : {}) }));
      const seen: string[] = [];
      for (const t of page.data) {
        // Stripe filters by `created`; the check also holds for a server that does not (stripe-mock).
        if (!inWindow(run, t.created)) continue;
        seen.push(...(await transferWithReversals(run, t, counts)));
      }
      await markSeen(pool, run.runId, seen);
      return { ...counts, cursor: page.has_more && page.data.length ? page.data.at(-1)!.id : null };
    },

    /**
     * Payouts live on the connected accounts: one page of one account's payouts, then the
     * next account (accounts with none are skipped within the same call, up to 50).
     * Cursor: JSON {account, after}.
     */
    async payouts(run, cursor, limit) {
      const counts = emptyCounts();
      let at: { account: string; after: string | null } | null = cursor ? JSON.parse(cursor) : null;
      if (!at) {
        const first = await listStripeAccountIds(pool, run.envId, null, 1);
        if (!first.length) return { ...counts, cursor: null };
        at = { account: first[0]!, after: null };
      }
      for (let accounts = 0; accounts < 50; accounts++) {
        const account = at.account;
        const after = at.after;
        const page = await observeStripeCall('payouts.list', () =>
          stripe.payouts.list({ limit, created: created(run), ...(after ? { starting_after: after } : {}) }, { stripeAccount: account }),
        );
        const seen: string[] = [];
        for (const p of page.data) {
          if (!inWindow(run, p.created)) continue;
          seen.push(p.id);
          add(counts, await observeAndJudge(run, observePayout(p, at.account)));
        }
        await markSeen(pool, run.runId, seen);
        if (page.has_more && page.data.length) return { ...counts, cursor: JSON.stringify({ account: at.account, after: page.data.at(-1)!.id }) };
        const next = await listStripeAccountIds(pool, run.envId, at.account, 1);
        if (!next.length) return { ...counts, cursor: null };
        at = { account: next[0]!, after: null };
        if (page.data.length) return { ...counts, cursor: JSON.stringify(at) };
      }
      return { ...counts, cursor: JSON.stringify(at) };
    },

    /**
     * The ledger's side: withdrawals created in the window with a Stripe id no list showed.
     * Each such object is retrieved: Stripe does not know it → missing_at_stripe; created
     * after the window (the next run lists it) → left alone; else compared like a listed one.
     */
    async ledger(run, cursor, limit) {
      const counts = emptyCounts();
      const page = await listUnseenLedgerObjects(pool, { runId: run.runId, envId: run.envId, since: run.since, until: run.until, afterId: cursor, limit });
      for (const id of page.withdrawalIds) {
        const w = (await findWithdrawalById(pool, id))!;
        if (w.stripeTransferId && !(await wasSeen(pool, run.runId, w.stripeTransferId))) {
          const transferId = w.stripeTransferId;
          const found = await observeStripeCall('transfers.retrieve', () => stripe.transfers.retrieve(transferId)).then((t) => t, (err: unknown) => {
            if (isNotFound(err)) return null;
            throw err;
          });
          if (!found) add(counts, await judge(run, missingAtStripe('transfer', w.stripeTransferId, w), w, ['missing_at_stripe']));
          else if (inWindow(run, found.created)) add(counts, await judge(run, observeTransfer(found), w, differences(observeTransfer(found), w)));
          await markSeen(pool, run.runId, [w.stripeTransferId]);
        }
        if (w.stripePayoutId && w.stripeAccountId && !(await wasSeen(pool, run.runId, w.stripePayoutId))) {
          const account = w.stripeAccountId;
          const payoutId = w.stripePayoutId;
          const found = await observeStripeCall('payouts.retrieve', () => stripe.payouts.retrieve(payoutId, {}, { stripeAccount: account })).then((p) => p, (err: unknown) => {
            if (isNotFound(err)) return null;
            throw err;
          });
          if (!found) add(counts, await judge(run, missingAtStripe('payout', w.stripePayoutId, w), w, ['missing_at_stripe']));
          else if (inWindow(run, found.created)) {
            const o = observePayout(found, account);
            add(counts, await judge(run, o, w, differences(o, w)));
          }
          await markSeen(pool, run.runId, [w.stripePayoutId]);
        }
      }
      return { ...counts, cursor: page.lastId };
    },
  };

  function missingAtStripe(type: 'transfer' | 'payout', id: string, w: Withdrawal): Observed {
    return {
      type, id, amount: BigInt(w.amount), currency: w.currency, created: 0, status: 'missing',
      facts: {}, metadataEnvId: w.envId, metadataWithdrawalId: w.id,
    };
  }

  return withStripeFailures({
    /** Opens the run (idempotent per workflow id): its window and scope. */
    async beginReconciliation(input: { key: string; since?: string | null; until?: string | null; envId?: string | null }): Promise<ReconcileWindow> {
      const until = input.until ? new Date(input.until) : new Date();
      const since = input.since ? new Date(input.since) : new Date(until.getTime() - lookbackMs);
      if (Number.isNaN(until.getTime()) || Number.isNaN(since.getTime()) || since > until) {
        throw new Error(`reconciliation window is not valid: since ${input.since ?? '(default)'}, until ${input.until ?? '(now)'}`);
      }
      const run = await beginRun(pool, { workflowId: input.key, envId: input.envId ?? null, since, until });
      return { runId: run.id, since: run.since, until: run.until, envId: run.envId };
    },

    /** One page of one list, matched and stored; the cursor where the next page starts (null: the list is done). */
    async reconcilePage(input: { run: ReconcileWindow; list: ReconcileList; cursor: string | null; limit: number }): Promise<ReconcilePageResult> {
      const handler = pages[input.list];
      if (!handler) throw new Error(`unknown reconciliation list ${String(input.list)}`);
      return handler(input.run, input.cursor, Math.max(1, Math.min(100, input.limit)));
    },

    /** Ends the run: counts, the clean windows of the environments left with no open mismatch. */
    async finishReconciliation(input: { run: ReconcileWindow; counts: PageCounts; pages: number }): Promise<ReconcileSummary> {
      const done = await withTransaction(pool, (client) => finishRun(client, input.run.runId, input.counts));
      return { ...input.counts, ...input.run, openInScope: done.openInScope, pages: input.pages };
    },
  });
}
