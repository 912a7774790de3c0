/**
 * What the chaos run's answers promise, checked against the ledger, request by request:
 *
 * - each request is classed by its final answer: carried (2xx; for a NUL-field request,
 *   the 422 it must get), refused as that kind may be (insufficient funds, …), an
 *   unexpected answer (401, 404, a 4xx the kind never gets) or unresolved (no answer,
 *   or a 5xx/429 after every retry);
 * - a carried request's effect is the one its body asked for: the ledger transactions
 *   its workflow posted (idempotency ids `<workflow id>:<step>`) have the type, the
 *   amount, and the legs on the wallets the request named (a topup credits *that*
 *   wallet with *that* amount from funding; a refund credits the paid order's wallet);
 *   its order / withdrawal row says the same; the answer names that transaction;
 * - a refused request posted nothing; an unanswered one posted nothing or exactly what
 *   it asked for;
 * - nothing was posted, no order and no withdrawal made, that no request of the load
 *   asked for;
 * - every wallet ends at its balance before the load plus what the requests moved
 *   (computed from their bodies, not read back from the ledger), holds none;
 * - every order's refunded amount is the sum of the load's refunds on it that posted
 *   (answered 2xx, or unanswered but posted as asked).
 *
 * The pure parts (classify, tally, expectedEffects, judgeEffects) have unit tests
 * (test/unit/chaos-checks.test.ts); checkOutcomes reads the database.
 */
import { parseAmount } from '../../src/domain/money';
import type { Pool } from '../../src/db/pool';
import type { Outcome } from './load';

/** The refusals a kind may get in a chaos run (every other 4xx is unexpected). */
export const EXPECTED_REFUSALS: Record<string, readonly string[]> = {
  topup: [],
  payment: ['insufficient_funds'],
  transfer: ['insufficient_funds'],
  // 1.00 refunds of random paid orders: one already refunded in full is refused.
  refund: ['conflict'],
  withdraw: ['insufficient_funds', 'withdrawal_limit_exceeded'],
};

export type OutcomeClass = 'carried' | 'refused' | 'unexpected' | 'unresolved';

/** A kind whose requests carry a NUL in a text field: carried means refused with 422 invalid_request. */
export const isPoison = (kind: string) => kind.endsWith('_nul');

function errorCode(response: unknown): string | null {
  const code = (response as { error?: { code?: unknown } } | null)?.error?.code;
  return typeof code === 'string' ? code : null;
}

/** The class of a request's final answer and its label (`200`, `422 insufficient_funds`, `gave_up`). */
export function classify(o: Pick<Outcome, 'kind' | 'status' | 'response'>): { class: OutcomeClass; label: string } {
  if (o.status === 'gave_up') return { class: 'unresolved', label: 'gave_up' };
  const code = errorCode(o.response);
  const label = code ? `${o.status} ${code}` : String(o.status);
  if (o.status >= 500 || o.status === 429) return { class: 'unresolved', label };
  if (isPoison(o.kind)) return { class: o.status === 422 && code === 'invalid_request' ? 'carried' : 'unexpected', label };
  if (o.status >= 200 && o.status < 300) return { class: 'carried', label };
  if (o.status >= 400 && code && (EXPECTED_REFUSALS[o.kind] ?? []).includes(code)) return { class: 'refused', label };
  return { class: 'unexpected', label };
}

export interface KindFigures {
  sent: number;
  carried: number;
  /** Expected refusals by label. */
  refused: Record<string, number>;
  /** Answers this kind should never get (401, 404, …), by label. */
  unexpected: Record<string, number>;
  /** No answer, or a 5xx/429 after every retry, by label. */
  unresolved: Record<string, number>;
  /** HTTP attempts in all (a request retried twice counts 3). */
  attempts: number;
  /** What the attempts that were retried got, by label (`503`, `network`, …). */
  retried: Record<string, number>;
}

const bump = (m: Record<string, number>, k: string) => (m[k] = (m[k] ?? 0) + 1);

/** Per-kind figures of a run's outcomes; every kind in `kinds` appears, sent or not. */
export function tally(outcomes: Outcome[], kinds: readonly string[]): Record<string, KindFigures> {
  const byKind: Record<string, KindFigures> = {};
  const figures = (kind: string) => (byKind[kind] ??= { sent: 0, carried: 0, refused: {}, unexpected: {}, unresolved: {}, attempts: 0, retried: {} });
  for (const kind of kinds) figures(kind);
  for (const o of outcomes) {
    const f = figures(o.kind);
    f.sent += 1;
    f.attempts += o.attempts;
    for (const t of o.tries.slice(0, -1)) bump(f.retried, String(t));
    const c = classify(o);
    if (c.class === 'carried') f.carried += 1;
    else bump(f[c.class], c.label);
  }
  return byKind;
}

export interface LedgerTx {
  id: string;
  idempotencyId: string;
  type: string;
  amount: bigint;
  reference: string | null;
  postings: { account: string; walletId: string | null; amount: bigint }[];
}

/** `<kind>-<env>-key-<chaos key>[-<hash16>]:<step>`: the load's request a posting belongs to. */
const LOAD_ID = /^([a-z_]+)-(\d+)-key-(chaos-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})(-[0-9a-f]{16})?:(.+)$/;

export function loadKeyOf(idempotencyId: string): { workflowId: string; key: string; step: string } | null {
  const m = LOAD_ID.exec(idempotencyId);
  if (!m) return null;
  return { workflowId: idempotencyId.slice(0, idempotencyId.length - m[5]!.length - 1), key: m[3]!, step: m[5]! };
}

/** A transaction as `type amount: leg leg …` (legs sorted), the unit the checks compare. */
export function signature(tx: Pick<LedgerTx, 'type' | 'amount' | 'postings'>): string {
  const legs = tx.postings.map((p) => `${p.account}${p.walletId ? `:${p.walletId}` : ''} ${p.amount > 0n ? '+' : ''}${p.amount}`).sort();
  return `${tx.type} ${tx.amount}: ${legs.join(', ')}`;
}

/** What the refund's order was paid from: order id → wallet id, from the load's own payments. */
export type OrderWallets = ReadonlyMap<string, string>;

/**
 * The transactions a carried request must have posted, from its body alone: a list of
 * steps, each a set of acceptable signatures (a withdrawal's hold ends in a release or,
 * once money has left, a settle), and each wallet's change in balance per alternative.
 */
export function expectedEffects(o: Pick<Outcome, 'kind' | 'body' | 'response'>, orderWallets: OrderWallets): { steps: { sig: string; delta: [string, bigint][] }[][] } | { error: string } {
  const b = o.body as Record<string, string>;
  const tx = (type: string, amount: bigint, legs: [string, string | null, bigint][]) =>
    signature({ type, amount, postings: legs.map(([account, walletId, a]) => ({ account, walletId, amount: a })) });
  switch (o.kind) {
    case 'topup': {
      const a = parseAmount(b.amount!, 'USD');
      return { steps: [[{ sig: tx('topup', a, [['wallet', b.wallet_id!, a], ['funding', null, -a]]), delta: [[b.wallet_id!, a]] }]] };
    }
    case 'payment': {
      const a = parseAmount(b.amount!, 'USD');
      return { steps: [[{ sig: tx('payment', a, [['wallet', b.wallet_id!, -a], ['revenue', null, a]]), delta: [[b.wallet_id!, -a]] }]] };
    }
    case 'transfer': {
      const a = parseAmount(b.amount!, 'USD');
      return {
        steps: [[{ sig: tx('transfer', a, [['wallet', b.wallet_id!, -a], ['wallet', b.to_wallet_id!, a]]), delta: [[b.wallet_id!, -a], [b.to_wallet_id!, a]] }]],
      };
    }
    case 'refund': {
      const a = parseAmount(b.amount!, 'USD');
      const wallet = orderWallets.get(String(b.order_id));
      if (!wallet) return { error: `refund of order ${b.order_id}, which no payment of the load answered` };
      return { steps: [[{ sig: tx('refund', a, [['revenue', null, -a], ['wallet', wallet, a]]), delta: [[wallet, a]] }]] };
    }
    case 'withdraw': {
      const a = parseAmount(b.amount!, 'USD');
      const w = b.wallet_id!;
      const release = { sig: tx('release', a, [['in_flight', null, -a], ['wallet', w, a]]), delta: [[w, a]] as [string, bigint][] };
      const settle = { sig: tx('settle', a, [['in_flight', null, -a], ['paid_out', null, a]]), delta: [] as [string, bigint][] };
      // Nobody onboards in a chaos run: a withdrawal answered awaiting onboarding can only expire.
      const ends = (o.response as { status?: string } | null)?.status === 'awaiting_onboarding' ? [release] : [release, settle];
      return { steps: [[{ sig: tx('hold', a, [['wallet', w, -a], ['in_flight', null, a]]), delta: [[w, -a]] }], ends] };
    }
    default:
      return { error: `no expected effect known for kind ${o.kind}` };
  }
}

/**
 * A request's transactions against what its body asked for. Carried: exactly the
 * expected steps. Refused: nothing. Unexpected or unresolved: nothing, or exactly the
 * expected steps (a lost answer may have moved the money, but only as asked).
 * Returns the violations and each wallet's change (from the body, per step found).
 */
export function judgeEffects(o: Outcome, txs: LedgerTx[], orderWallets: OrderWallets): { violations: string[]; deltas: [string, bigint][] } {
  const c = classify(o);
  const who = `${o.kind} ${o.key} (${c.label}, ${JSON.stringify(o.body)})`;
  const actual = txs.map(signature);
  if (c.class === 'refused') {
    return { violations: txs.length ? [`${who}: refused but posted ${actual.join(' | ')}`] : [], deltas: [] };
  }
  if (c.class !== 'carried' && txs.length === 0) return { violations: [], deltas: [] };
  const expected = expectedEffects(o, orderWallets);
  if ('error' in expected) return { violations: [`${who}: ${expected.error}`], deltas: [] };
  const left = [...actual];
  const deltas: [string, bigint][] = [];
  const missing: string[] = [];
  for (const alternatives of expected.steps) {
    const found = alternatives.find((alt) => left.includes(alt.sig));
    if (found) {
      left.splice(left.indexOf(found.sig), 1);
      deltas.push(...found.delta);
    } else {
      missing.push(alternatives.map((a) => a.sig).join(' or '));
    }
  }
  const violations: string[] = [];
  if (missing.length || left.length) {
    violations.push(
      `${who}: ${c.class === 'carried' ? 'answered' : 'unanswered but posted'}; expected ${expected.steps.map((s) => s.map((a) => a.sig).join(' or ')).join(' + ')}; the ledger has ${actual.join(' | ') || 'nothing'}`,
    );
  }
  // An unanswered request that moved the money as asked moved its wallets too.
  return { violations, deltas };
}

/**
 * Every check above against the run's database. `since`: the last ledger transaction
 * id before the load (what came before — opening balances, beforeLoad's requests — is
 * not the load's); `balancesBefore`: each wallet's balance at that moment.
 */
export async function checkOutcomes(
  pool: Pool,
  outcomes: Outcome[],
  envId: string,
  since: { transactionId: string; orderId: string; withdrawalId: string; balances: Map<string, bigint> },
): Promise<string[]> {
  const violations: string[] = [];
  const add = (v: string) => violations.push(v);
  const byKey = new Map(outcomes.map((o) => [o.key, o]));
  /** The load's request of this kind whose workflow made the row (`<workflow id>:<step>`), or undefined. */
  const madeBy = (workflowId: string, step: string, kind: string) => {
    const owner = loadKeyOf(`${workflowId}:${step}`);
    const o = owner ? byKey.get(owner.key) : undefined;
    return o && o.kind === kind ? o : undefined;
  };

  // The load's transactions with their postings, by request.
  const { rows } = await pool.query<{ id: string; idempotency_id: string; type: string; amount: string; reference: string | null; account: string; wallet_id: string | null; posting: string }>(
    `select t.id::text, t.idempotency_id, t.type, t.amount::text, t.reference, p.account, p.wallet_id::text, p.amount::text as posting
       from ledger_transactions t join ledger_postings p on p.transaction_id = t.id
      where t.env_id = $1 and t.id > $2 order by t.id, p.id`,
    [envId, since.transactionId],
  );
  const txs = new Map<string, LedgerTx>();
  for (const r of rows) {
    let tx = txs.get(r.id);
    if (!tx) txs.set(r.id, (tx = { id: r.id, idempotencyId: r.idempotency_id, type: r.type, amount: BigInt(r.amount), reference: r.reference, postings: [] }));
    tx.postings.push({ account: r.account, walletId: r.wallet_id, amount: BigInt(r.posting) });
  }
  const txsByKey = new Map<string, LedgerTx[]>();
  for (const tx of txs.values()) {
    const owner = loadKeyOf(tx.idempotencyId);
    if (!owner || !byKey.has(owner.key)) {
      add(`transaction ${tx.id} (${tx.idempotencyId}, ${signature(tx)}) was posted for no request of the load`);
      continue;
    }
    if (!txsByKey.has(owner.key)) txsByKey.set(owner.key, []);
    txsByKey.get(owner.key)!.push(tx);
  }

  // Orders of the load's payments answered 2xx: order id → the wallet the payment named.
  const orderWallets = new Map<string, string>();
  for (const o of outcomes) {
    if (o.kind === 'payment' && classify(o).class === 'carried') {
      const order = (o.response as { order?: { id?: string } }).order;
      if (order?.id) orderWallets.set(String(order.id), String(o.body.wallet_id));
    }
  }

  // Each request's effect; wallet balances from the requests.
  const balances = new Map(since.balances);
  for (const o of outcomes) {
    const c = classify(o);
    if (isPoison(o.kind)) {
      if (c.class !== 'carried') add(`${o.kind} ${o.key}: a NUL in a text field answered ${c.label}, not 422 invalid_request: ${JSON.stringify(o.response).slice(0, 200)}`);
      if (o.workflowId) add(`${o.kind} ${o.key}: a NUL in a text field started workflow ${o.workflowId}`);
      if (txsByKey.has(o.key)) add(`${o.kind} ${o.key}: a NUL-field request posted ${txsByKey.get(o.key)!.map(signature).join(' | ')}`);
      continue;
    }
    if (c.class === 'carried' && !o.workflowId) add(`${o.kind} ${o.key}: ${c.label} without a Workflow-Id header`);
    const mine = txsByKey.get(o.key) ?? [];
    const judged = judgeEffects(o, mine, orderWallets);
    violations.push(...judged.violations);
    for (const [wallet, delta] of judged.deltas) balances.set(wallet, (balances.get(wallet) ?? 0n) + delta);
    // The answer names what was posted.
    if (c.class === 'carried' && !judged.violations.length) {
      const r = o.response as Record<string, any>;
      const named =
        o.kind === 'topup' ? r.transaction_id : o.kind === 'transfer' ? r.transfer?.id : o.kind === 'refund' ? r.refund?.id : o.kind === 'payment' ? r.order?.transaction_id : undefined;
      if (named !== undefined && String(named) !== mine[0]!.id) add(`${o.kind} ${o.key}: the answer names transaction ${named}, the ledger has ${mine[0]!.id}`);
      if (o.kind === 'refund' && String(r.refund?.order_id) !== String(o.body.order_id)) add(`refund ${o.key}: answered for order ${r.refund?.order_id}, asked for ${o.body.order_id}`);
    }
  }

  // Orders: each made by a payment of the load, with its wallet, amount and product;
  // one answered 2xx is charged by its transaction and refunded by the refunds answered 2xx.
  // The refunds that posted: every one answered 2xx (its effect checked above) and any
  // unanswered one whose refund went through as asked.
  const refundsAnswered = new Map<string, bigint>();
  for (const o of outcomes) {
    const c = classify(o).class;
    if (o.kind === 'refund' && (c === 'carried' || ((c === 'unresolved' || c === 'unexpected') && txsByKey.get(o.key)?.some((t) => t.type === 'refund')))) {
      const id = String(o.body.order_id);
      refundsAnswered.set(id, (refundsAnswered.get(id) ?? 0n) + parseAmount(String(o.body.amount), 'USD'));
    }
  }
  const orders = await pool.query<{ id: string; wallet_id: string; amount: string; product_id: string; status: string; workflow_id: string; transaction_id: string | null; refunded_amount: string }>(
    `select id::text, wallet_id::text, amount::text, product_id, status, workflow_id, transaction_id::text, refunded_amount::text
       from orders where env_id = $1 and id > $2`,
    [envId, since.orderId],
  );
  for (const row of orders.rows) {
    const o = madeBy(row.workflow_id, 'order', 'payment');
    if (!o) {
      add(`order ${row.id} (workflow ${row.workflow_id}) was made by no payment of the load`);
      continue;
    }
    const asked = `wallet ${o.body.wallet_id}, ${parseAmount(String(o.body.amount), 'USD')}, ${o.body.product_id}`;
    const got = `wallet ${row.wallet_id}, ${row.amount}, ${row.product_id}`;
    if (asked !== got) add(`order ${row.id}: payment ${o.key} asked for ${asked}, the order has ${got}`);
    const c = classify(o);
    if (c.class === 'carried') {
      const answered = (o.response as { order?: { id?: string } }).order?.id;
      if (String(answered) !== row.id) add(`order ${row.id}: payment ${o.key} was answered with order ${answered}`);
      const charge = txsByKey.get(o.key)?.[0]?.id;
      if (!['completed', 'partially_refunded', 'refunded'].includes(row.status) || !row.transaction_id || row.transaction_id !== charge) {
        add(`order ${row.id}: payment ${o.key} answered ${c.label} but the order is ${row.status} with transaction ${row.transaction_id} (charge ${charge})`);
      }
      const refunded = refundsAnswered.get(row.id) ?? 0n;
      if (BigInt(row.refunded_amount) !== refunded) add(`order ${row.id}: refunded_amount ${row.refunded_amount}, the load's refunds that posted sum to ${refunded}`);
    } else if (c.class === 'refused' && row.status !== 'failed') {
      add(`order ${row.id}: payment ${o.key} was refused (${c.label}) but the order is ${row.status}`);
    }
  }

  // Withdrawals: each made by a withdraw of the load answered 2xx, for its wallet and
  // amount, held by its hold and ended (after the drain none is in flight).
  const withdrawals = await pool.query<{ id: string; wallet_id: string; amount: string; status: string; workflow_id: string; hold_transaction_id: string | null }>(
    `select id::text, wallet_id::text, amount::text, status, workflow_id, hold_transaction_id::text from withdrawals where env_id = $1 and id > $2`,
    [envId, since.withdrawalId],
  );
  const answeredWithdrawals = new Set<string>();
  for (const row of withdrawals.rows) {
    const o = madeBy(row.workflow_id, 'withdrawal', 'withdraw');
    if (!o) {
      add(`withdrawal ${row.id} (workflow ${row.workflow_id}) was made by no withdraw of the load`);
      continue;
    }
    const c = classify(o);
    if (c.class === 'refused') add(`withdrawal ${row.id}: withdraw ${o.key} was refused (${c.label}) but the withdrawal exists`);
    if (c.class === 'carried') {
      answeredWithdrawals.add(row.id);
      const answered = (o.response as { withdrawal_id?: string }).withdrawal_id;
      if (String(answered) !== row.id) add(`withdrawal ${row.id}: withdraw ${o.key} was answered with withdrawal ${answered}`);
    }
    const asked = `wallet ${o.body.wallet_id}, ${parseAmount(String(o.body.amount), 'USD')}`;
    const got = `wallet ${row.wallet_id}, ${row.amount}`;
    if (asked !== got) add(`withdrawal ${row.id}: withdraw ${o.key} asked for ${asked}, the withdrawal has ${got}`);
    const hold = (txsByKey.get(o.key) ?? []).find((t) => t.type === 'hold');
    if (!hold || row.hold_transaction_id !== hold.id) add(`withdrawal ${row.id}: held by transaction ${row.hold_transaction_id}, the request's hold is ${hold?.id}`);
    if (['awaiting_onboarding', 'processing'].includes(row.status)) add(`withdrawal ${row.id} still ${row.status} after the drain`);
  }
  for (const o of outcomes) {
    if (o.kind !== 'withdraw' || classify(o).class !== 'carried') continue;
    const id = String((o.response as { withdrawal_id?: string }).withdrawal_id);
    if (!answeredWithdrawals.has(id)) add(`withdraw ${o.key}: answered with withdrawal ${id}, which the load's withdrawals do not include`);
  }

  // Balances: before the load plus what the carried requests moved; nothing held.
  const wallets = await pool.query<{ id: string; balance: string; held: string }>(`select id::text, balance::text, held::text from wallets where env_id = $1`, [envId]);
  for (const w of wallets.rows) {
    const expected = balances.get(w.id) ?? 0n;
    if (BigInt(w.balance) !== expected) add(`wallet ${w.id}: balance ${w.balance}, but before the load and the requests answered 2xx it should be ${expected}`);
    if (w.held !== '0') add(`wallet ${w.id} still holds ${w.held} after every withdrawal ended`);
  }
  return violations;
}
