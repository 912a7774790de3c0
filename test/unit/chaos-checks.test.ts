/**
 * The chaos run's judgement without the stack: the verdict fails runs that prove
 * nothing (no kills, no restarts, all 401, connection refused, a kind never carried,
 * a violation), answers are classed as the load expects, and a request's effect is
 * compared with its body wallet by wallet, amount by amount.
 */
import { classify, judgeEffects, loadKeyOf, signature, tally, type LedgerTx } from '../../scripts/chaos/checks';
import type { Outcome } from '../../scripts/chaos/load';
import { FULL_THRESHOLDS, requirements, verdict, type RunFigures } from '../../scripts/chaos/verdict';

const KINDS = ['topup', 'transfer', 'refund', 'withdraw', 'payment_nul', 'transfer_nul', 'payment'];
const WF = 'topup-1000-key-chaos-0b5e2a6c-1f7d-4c1e-9a53-3d2f1e0c9b8a-0123456789abcdef';
const KEY = 'chaos-0b5e2a6c-1f7d-4c1e-9a53-3d2f1e0c9b8a';

function outcome(kind: string, status: Outcome['status'], extra: Partial<Outcome> = {}): Outcome {
  return { kind, key: KEY, body: {}, status, attempts: 1, tries: [status === 'gave_up' ? 'network' : status], workflowId: null, response: null, ...extra };
}

/** A run that meets every full threshold: 1,000 carried requests of each kind, 25 kills, both restarts. */
function goodRun(): RunFigures {
  const outcomes = KINDS.flatMap((kind) => Array.from({ length: 1_000 }, () => outcome(kind, kind.endsWith('_nul') ? 422 : 200, kind.endsWith('_nul') ? { response: { error: { code: 'invalid_request' } } } : {})));
  return { kills: 25, restarts: { temporal: 1, postgres: 1 }, kinds: tally(outcomes, KINDS), violations: [] };
}

describe('verdict', () => {
  test('a run that met every threshold passes', () => {
    expect(verdict(goodRun(), FULL_THRESHOLDS)).toEqual([]);
    expect(requirements(goodRun(), FULL_THRESHOLDS).every((r) => r.met)).toBe(true);
  });

  test('no kill, or too few, fails', () => {
    expect(verdict({ ...goodRun(), kills: 0 }, FULL_THRESHOLDS)).toEqual(['the worker was killed 0 times, fewer than 20']);
    expect(verdict({ ...goodRun(), kills: 19 }, FULL_THRESHOLDS)).toHaveLength(1);
  });

  test('a missing Temporal or Postgres restart fails', () => {
    expect(verdict({ ...goodRun(), restarts: { temporal: 0, postgres: 1 } }, FULL_THRESHOLDS)).toEqual(['Temporal was restarted 0 times, fewer than 1']);
    expect(verdict({ ...goodRun(), restarts: { temporal: 1, postgres: 0 } }, FULL_THRESHOLDS)).toEqual(['Postgres was restarted 0 times, fewer than 1']);
  });

  test('a run whose every answer was 401 fails, however many requests it sent and with no violation found', () => {
    const outcomes = KINDS.flatMap((kind) => Array.from({ length: 2_000 }, () => outcome(kind, 401, { response: { error: { code: 'unauthorized' } } })));
    const reasons = verdict({ ...goodRun(), kinds: tally(outcomes, KINDS) }, FULL_THRESHOLDS);
    for (const kind of KINDS) expect(reasons).toContain(`${kind}: 0 of 2000 requests carried, fewer than 1000`);
    expect(reasons.find((r) => r.startsWith('14000 answers no request of the load should get'))).toContain('"401 unauthorized":2000');
  });

  test('a run whose API was down (connection refused on every attempt) fails as unresolved', () => {
    const outcomes = KINDS.flatMap((kind) => Array.from({ length: 1_000 }, () => outcome(kind, 'gave_up', { attempts: 10, tries: Array(10).fill('network') })));
    const reasons = verdict({ ...goodRun(), kinds: tally(outcomes, KINDS) }, FULL_THRESHOLDS);
    expect(reasons.find((r) => r.startsWith('7000 requests unresolved'))).toContain('"gave_up":1000');
  });

  test('one unresolved or one unexpected answer among thousands carried fails', () => {
    const run = goodRun();
    const withOne = (o: Outcome) => ({ ...run, kinds: tally([...KINDS.flatMap((kind) => Array.from({ length: 1_000 }, () => outcome(kind, kind.endsWith('_nul') ? 422 : 200, { response: { error: { code: 'invalid_request' } } }))), o], KINDS) });
    expect(verdict(withOne(outcome('topup', 503, { response: { error: { code: 'unavailable' } } })), FULL_THRESHOLDS)).toEqual([
      '1 requests unresolved (more than 0): topup {"503 unavailable":1}',
    ]);
    expect(verdict(withOne(outcome('payment', 404, { response: { error: { code: 'not_found' } } })), FULL_THRESHOLDS)).toEqual([
      '1 answers no request of the load should get (more than 0): payment {"404 not_found":1}',
    ]);
  });

  test('a kind never sent, or carried too few times, fails', () => {
    const run = goodRun();
    const kinds = { ...run.kinds, refund: { ...run.kinds.refund!, sent: 0, carried: 0 } };
    expect(verdict({ ...run, kinds }, FULL_THRESHOLDS)).toEqual(['refund: 0 of 0 requests carried, fewer than 1000']);
    expect(verdict({ ...run, kinds: {} }, FULL_THRESHOLDS)).toEqual(['the run sent no kind of request']);
  });

  test('a violation fails the run', () => {
    expect(verdict({ ...goodRun(), violations: ['wallet 1: balance 5, should be 6'] }, FULL_THRESHOLDS)).toEqual([
      '1 violations of the checks (first: wallet 1: balance 5, should be 6)',
    ]);
  });

  test('lower thresholds (the smoke runs) pass a small run and still fail one without a kill', () => {
    const small = { minKills: 1, minTemporalRestarts: 0, minPostgresRestarts: 0, minCarriedPerKind: 3, maxUnresolved: 0, maxUnexpected: 0 };
    const outcomes = KINDS.flatMap((kind) => Array.from({ length: 3 }, () => outcome(kind, kind.endsWith('_nul') ? 422 : 200, { response: { error: { code: 'invalid_request' } } })));
    const run: RunFigures = { kills: 1, restarts: { temporal: 0, postgres: 0 }, kinds: tally(outcomes, KINDS), violations: [] };
    expect(verdict(run, small)).toEqual([]);
    expect(verdict({ ...run, kills: 0 }, small)).toEqual(['the worker was killed 0 times, fewer than 1']);
  });
});

describe('classify and tally', () => {
  const err = (code: string) => ({ error: { code } });
  test.each([
    ['payment', 200, null, 'carried', '200'],
    ['payment', 422, err('insufficient_funds'), 'refused', '422 insufficient_funds'],
    ['topup', 422, err('insufficient_funds'), 'unexpected', '422 insufficient_funds'],
    ['refund', 409, err('conflict'), 'refused', '409 conflict'],
    ['withdraw', 422, err('withdrawal_limit_exceeded'), 'refused', '422 withdrawal_limit_exceeded'],
    ['payment', 401, err('unauthorized'), 'unexpected', '401 unauthorized'],
    ['transfer', 409, err('idempotency_key_mismatch'), 'unexpected', '409 idempotency_key_mismatch'],
    ['payment', 503, err('unavailable'), 'unresolved', '503 unavailable'],
    ['payment', 429, err('rate_limited'), 'unresolved', '429 rate_limited'],
    ['payment', 'gave_up', null, 'unresolved', 'gave_up'],
    ['payment_nul', 422, err('invalid_request'), 'carried', '422 invalid_request'],
    ['payment_nul', 200, null, 'unexpected', '200'],
    ['transfer_nul', 422, err('insufficient_funds'), 'unexpected', '422 insufficient_funds'],
  ] as const)('%s answered %s %j is %s', (kind, status, response, cls, label) => {
    expect(classify({ kind, status, response })).toEqual({ class: cls, label });
  });

  test('tally counts per kind, what the retried attempts got, and lists kinds never sent', () => {
    const f = tally([outcome('topup', 200, { attempts: 3, tries: ['network', 503, 200] }), outcome('topup', 401, { response: { error: { code: 'unauthorized' } } })], ['topup', 'refund']);
    expect(f.topup).toEqual({ sent: 2, carried: 1, refused: {}, unexpected: { '401 unauthorized': 1 }, unresolved: {}, attempts: 4, retried: { network: 1, '503': 1 } });
    expect(f.refund).toEqual({ sent: 0, carried: 0, refused: {}, unexpected: {}, unresolved: {}, attempts: 0, retried: {} });
  });
});

describe('effects against requests', () => {
  const tx = (type: string, amount: bigint, legs: [string, string | null, bigint][], id = '9'): LedgerTx => ({
    id,
    idempotencyId: `${WF}:${type}`,
    type,
    amount,
    reference: null,
    postings: legs.map(([account, walletId, a]) => ({ account, walletId, amount: a })),
  });
  const topup = outcome('topup', 200, { body: { wallet_id: '100000007', amount: '12.34' }, workflowId: WF });
  const none = new Map<string, string>();

  test('loadKeyOf finds the request behind an idempotency id, with or without the hash suffix', () => {
    expect(loadKeyOf(`${WF}:topup`)).toEqual({ workflowId: WF, key: KEY, step: 'topup' });
    expect(loadKeyOf(`withdraw-1000-key-${KEY}:release`)).toEqual({ workflowId: `withdraw-1000-key-${KEY}`, key: KEY, step: 'release' });
    expect(loadKeyOf('chaos-opening-100000007')).toBeNull();
    expect(loadKeyOf('payment-1000-0b5e2a6c-1f7d-4c1e-9a53-3d2f1e0c9b8a:charge')).toBeNull();
  });

  test('a topup that credited the wallet it named with its amount passes, and moves that wallet', () => {
    const judged = judgeEffects(topup, [tx('topup', 1234n, [['wallet', '100000007', 1234n], ['funding', null, -1234n]])], none);
    expect(judged).toEqual({ violations: [], deltas: [['100000007', 1234n]] });
  });

  test('a topup credited to another wallet, with another amount, or twice is caught', () => {
    const elsewhere = judgeEffects(topup, [tx('topup', 1234n, [['wallet', '100000008', 1234n], ['funding', null, -1234n]])], none);
    expect(elsewhere.violations).toHaveLength(1);
    expect(elsewhere.violations[0]).toContain('expected topup 1234: funding -1234, wallet:100000007 +1234; the ledger has topup 1234: funding -1234, wallet:100000008 +1234');
    expect(judgeEffects(topup, [tx('topup', 1243n, [['wallet', '100000007', 1243n], ['funding', null, -1243n]])], none).violations).toHaveLength(1);
    const good = tx('topup', 1234n, [['wallet', '100000007', 1234n], ['funding', null, -1234n]]);
    expect(judgeEffects(topup, [good, { ...good, id: '10' }], none).violations).toHaveLength(1);
    expect(judgeEffects(topup, [], none).violations[0]).toContain('the ledger has nothing');
  });

  test('a refused request that posted is caught; an unanswered one may have posted only what it asked', () => {
    const refused = outcome('payment', 422, { body: { wallet_id: '100000007', amount: '5.00' }, response: { error: { code: 'insufficient_funds' } } });
    const charge = tx('payment', 500n, [['wallet', '100000007', -500n], ['revenue', null, 500n]]);
    expect(judgeEffects(refused, [charge], none).violations[0]).toContain('refused but posted payment 500');
    const lost = { ...refused, status: 'gave_up' as const, response: null };
    expect(judgeEffects(lost, [], none)).toEqual({ violations: [], deltas: [] });
    expect(judgeEffects(lost, [charge], none)).toEqual({ violations: [], deltas: [['100000007', -500n]] });
    expect(judgeEffects(lost, [{ ...charge, amount: 600n }], none).violations).toHaveLength(1);
  });

  test('a transfer moves money from the wallet it named to the one it named', () => {
    const transfer = outcome('transfer', 200, { body: { wallet_id: '1', to_wallet_id: '2', amount: '3.00' } });
    expect(judgeEffects(transfer, [tx('transfer', 300n, [['wallet', '1', -300n], ['wallet', '2', 300n]])], none)).toEqual({ violations: [], deltas: [['1', -300n], ['2', 300n]] });
    expect(judgeEffects(transfer, [tx('transfer', 300n, [['wallet', '2', -300n], ['wallet', '1', 300n]])], none).violations).toHaveLength(1);
  });

  test("a refund credits the wallet that paid the order, which the load's own payment named", () => {
    const refund = outcome('refund', 200, { body: { order_id: '500000003', amount: '1.00' } });
    const back = tx('refund', 100n, [['revenue', null, -100n], ['wallet', '4', 100n]]);
    expect(judgeEffects(refund, [back], new Map([['500000003', '4']]))).toEqual({ violations: [], deltas: [['4', 100n]] });
    expect(judgeEffects(refund, [back], new Map([['500000003', '5']])).violations).toHaveLength(1);
    expect(judgeEffects(refund, [back], none).violations[0]).toContain('which no payment of the load answered');
  });

  test('a withdrawal holds its amount on its wallet and releases it there once', () => {
    const withdraw = outcome('withdraw', 200, { body: { wallet_id: '3', amount: '7.00' }, response: { status: 'awaiting_onboarding' } });
    const hold = tx('hold', 700n, [['wallet', '3', -700n], ['in_flight', null, 700n]]);
    const release = tx('release', 700n, [['in_flight', null, -700n], ['wallet', '3', 700n]]);
    expect(judgeEffects(withdraw, [hold, release], none)).toEqual({ violations: [], deltas: [['3', -700n], ['3', 700n]] });
    expect(judgeEffects(withdraw, [hold], none).violations).toHaveLength(1);
    expect(judgeEffects(withdraw, [hold, release, { ...release, id: '11' }], none).violations).toHaveLength(1);
    // Awaiting onboarding and nobody onboards: a settle (paid out) is not what it asked for.
    expect(judgeEffects(withdraw, [hold, tx('settle', 700n, [['in_flight', null, -700n], ['paid_out', null, 700n]])], none).violations).toHaveLength(1);
  });

  test('signature sorts the legs, so their order in the ledger does not matter', () => {
    expect(signature({ type: 'topup', amount: 5n, postings: [{ account: 'wallet', walletId: '1', amount: 5n }, { account: 'funding', walletId: null, amount: -5n }] })).toBe(
      signature({ type: 'topup', amount: 5n, postings: [{ account: 'funding', walletId: null, amount: -5n }, { account: 'wallet', walletId: '1', amount: 5n }] }),
    );
  });
});
