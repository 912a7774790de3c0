/**
 * Every recorded history under test/histories/ replays against today's workflow code.
 * A change that breaks determinism fails here before it reaches a running workflow;
 * an intended incompatible change goes behind patched() and gets a new recording.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';
import { quietTemporalRuntime } from '../helpers/runtime';
import { readStack } from '../helpers/stack';

const HISTORIES = join(__dirname, '..', 'histories');
const files = readdirSync(HISTORIES).filter((f) => f.endsWith('.json')).sort();

beforeAll(quietTemporalRuntime);

function load(file: string) {
  return historyFromJSON(JSON.parse(readFileSync(join(HISTORIES, file), 'utf8')));
}

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

test.each(files)('%s replays deterministically', async (file) => {
  await Worker.runReplayHistory({ workflowBundle: { codePath: readStack().workflowBundlePath } }, load(file), file);
});

test('replay catches a history the code does not match', async () => {
  // The payment history replayed as if it were a topup: the commands differ, so the
  // replayer must refuse it. Guards against a replay test that cannot fail.
  const history = load('payment.json');
  history.events![0]!.workflowExecutionStartedEventAttributes!.workflowType!.name = 'topup';
  await expect(
    Worker.runReplayHistory({ workflowBundle: { codePath: readStack().workflowBundlePath } }, history, 'tampered'),
  ).rejects.toThrow();
});
