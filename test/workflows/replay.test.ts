/**
 * Every recorded history under test/histories/ replays against today's workflow code.
 * A change that breaks determinism fails here before it reaches a running workflow;
 * an intended incompatible change goes behind patched() and gets a new recording.
 * And a workflow change cannot slip past unrecorded: the bundle's fingerprint must be
 * the one the histories were last proven against (test/histories/workflow-bundle.sha256,
 * rewritten by `npm run histories:record`, scripts/histories.ts).
 */
import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import { FINGERPRINT_FILE, HISTORIES_DIR, historyFiles, patchesOf, readFingerprint } from '../../scripts/histories';
import { bundleFingerprint } from '../../scripts/workflow-bundle';
import { quietTemporalRuntime } from '../helpers/runtime';
import { readStack } from '../helpers/stack';

const files = historyFiles();

beforeAll(quietTemporalRuntime);

const json = (file: string) => JSON.parse(readFileSync(join(HISTORIES_DIR, file), 'utf8'));
const load = (file: string) => historyFromJSON(json(file));
const replay = (history: unknown, name: string) => Worker.runReplayHistory({ workflowBundle: { codePath: readStack().workflowBundlePath } }, history, name);

test('histories of every workflow type are recorded', () => {
  const types = new Set(
    files.map((f) => {
      const started = load(f).events![0]!.workflowExecutionStartedEventAttributes!;
      return started.workflowType!.name!;
    }),
  );
  const exported = Object.keys(require('../../src/workflows'));
  for (const name of exported) expect(types).toContain(name);
});

// Issue 15: the refusal and timeout branches each have a recorded history (names the
// recording tests give them: test/workflows/workflows.test.ts, withdraw.test.ts,
// test/api/withdrawal-holds.test.ts).
test.each([
  'topup-refused', 'transfer-refused', 'refund-refused',
  'withdraw-canceled', 'withdraw-onboarding-timed-out', 'withdraw-payout-polled', 'withdraw-payout-timeout',
  'webhook-delivery-given-up',
])('the %s branch has a recorded history', (name) => {
  expect(files).toContain(`${name}.json`);
});

test.each(files)('%s replays deterministically', async (file) => {
  await replay(load(file), file);
});

test('the workflow bundle is the one the histories were last proven against (else: npm run histories:record)', () => {
  const stored = readFingerprint();
  const current = bundleFingerprint(readFileSync(readStack().workflowBundlePath, 'utf8'));
  const verdict =
    stored?.sha256 === current
      ? 'same'
      : `The workflow code changed since the histories were recorded (bundle ${current}, ${relative(process.cwd(), FINGERPRINT_FILE)} says ${stored?.sha256 ?? 'nothing'}). ` +
        'Run `npm run histories:record` (re-records every branch and rewrites the fingerprint), or, when the change ' +
        'is behind patched() / reaches no recorded command, `npm run histories:fingerprint -- --reason "<why>"`.';
  expect(verdict).toBe('same');
});

test('the fingerprint changes with the code and not with the checkout folder', () => {
  const code = readFileSync(readStack().workflowBundlePath, 'utf8');
  expect(bundleFingerprint(code.replace('__TEMPORAL__ = __webpack_exports__;', '__TEMPORAL__ = __webpack_exports__; // a change'))).not.toBe(bundleFingerprint(code));
  expect(code).toContain('__TEMPORAL__ = __webpack_exports__;');
  const moved = code.split(process.cwd()).join('/elsewhere/checkout');
  expect(bundleFingerprint(moved, '/elsewhere/checkout')).toBe(bundleFingerprint(code));
});

test('replay catches a history the code does not match', async () => {
  // The payment history replayed as if it were a topup: the commands differ, so the
  // replayer must refuse it. Guards against a replay test that cannot fail.
  const history = load('payment.json');
  history.events![0]!.workflowExecutionStartedEventAttributes!.workflowType!.name = 'topup';
  await expect(replay(history, 'tampered')).rejects.toThrow();
});

/** The history without its event at `index`, later event ids (and every *EventId pointing past it) shifted down. */
function withoutEvent(history: { events: { eventId: string; eventType: string }[] }, index: number) {
  const dropped = Number(history.events[index]!.eventId);
  const shift = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(shift);
    if (node && typeof node === 'object') {
      return Object.fromEntries(
        Object.entries(node).map(([k, v]) =>
          (k === 'eventId' || k.endsWith('EventId')) && (typeof v === 'string' || typeof v === 'number') && Number(v) > dropped
            ? [k, String(Number(v) - 1)]
            : [k, shift(v)],
        ),
      );
    }
    return node;
  };
  return { ...history, events: history.events.filter((_, i) => i !== index).map(shift) };
}

// Negative controls: a real history with one command's event dropped (a local activity's
// marker, an activity's scheduling, a timer) is what a workflow change that skips a step
// looks like to the replayer. Each must FAIL with a nondeterminism error; the same history
// untouched replays (so the failure is the dropped event's, nothing else).
test.each([
  ['payment-one-activity.json', 'EVENT_TYPE_MARKER_RECORDED'],
  ['withdraw-paid.json', 'EVENT_TYPE_ACTIVITY_TASK_SCHEDULED'],
  ['webhook-delivery-retried.json', 'EVENT_TYPE_TIMER_STARTED'],
])('%s without its first %s fails replay with a nondeterminism error', async (file, eventType) => {
  const original = json(file);
  const index = original.events.findIndex((e: { eventType: string }) => e.eventType === eventType);
  expect(index).toBeGreaterThan(0);
  await replay(historyFromJSON(original), file);
  const error = await replay(historyFromJSON(withoutEvent(original, index)), `${file}-dropped`).then(() => null, (e: unknown) => e);
  expect(error).toBeInstanceOf(DeterminismViolationError);
  expect((error as Error).message).toMatch(/TMPRL1100|[Nn]ondeterminism/);
});

test('patchesOf reads the patched() branches a history took', () => {
  expect(patchesOf(json('withdraw-payout-timeout.json'))).toEqual(['withdraw-payout-timeout-needs-attention', 'withdraw-temporal-cancel-ignored-after-transfer']);
  expect(patchesOf(json('payment.json'))).toEqual([]);
});
