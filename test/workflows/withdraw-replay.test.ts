/**
 * The recorded withdraw histories (test/histories/withdraw-*.json, recorded from the
 * API tests against the real stack with RECORD_HISTORIES=1) replay against today's
 * workflow code.
 *
 * Why not historyFromJSON: with this branch's lockfile @temporalio/common and
 * @temporalio/proto each get their own copy of protobufjs 8, so protojson's
 * `instanceof Type` check fails ("type must be a Type"). Main fixes that by declaring
 * protobufjs ^8.8.1 at the root; its test/workflows/replay.test.ts then replays these
 * files with every other history, and this file can go.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import * as proto from '@temporalio/proto';
import { patchProtobufRoot } from '@temporalio/proto/lib/patch-protobuf-root';
import { Worker } from '@temporalio/worker';
import { readStack } from '../helpers/stack';

const HISTORIES = join(__dirname, '..', 'histories');
const files = readdirSync(HISTORIES).filter((f) => /^withdraw-.*\.json$/.test(f)).sort();

/** protojson from the protobufjs copy that built @temporalio/proto's types. */
function load(file: string): proto.temporal.api.history.v1.IHistory {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { fromJson } = require(require.resolve('protobufjs/ext/protojson', { paths: [dirname(require.resolve('@temporalio/proto'))] }));
  const root = patchProtobufRoot(proto) as unknown as { lookupType: (name: string) => unknown };
  return fromJson(root.lookupType('temporal.api.history.v1.History'), JSON.parse(readFileSync(join(HISTORIES, file), 'utf8')), {
    ignoreUnknownFields: true,
  });
}

test('withdraw histories are recorded', () => {
  expect(files.length).toBeGreaterThan(0);
  for (const f of files) expect(load(f).events![0]!.workflowExecutionStartedEventAttributes!.workflowType!.name).toBe('withdraw');
});

test.each(files)('%s replays deterministically', async (file) => {
  await Worker.runReplayHistory({ workflowBundle: { codePath: readStack().workflowBundlePath } }, load(file), file);
});

test('replay catches a withdraw history the code does not match', async () => {
  const history = load(files[0]!);
  // Drop the first activity scheduled: the commands no longer match the code.
  const i = history.events!.findIndex((e) => e.activityTaskScheduledEventAttributes || e.markerRecordedEventAttributes);
  history.events!.splice(i, 1);
  await expect(Worker.runReplayHistory({ workflowBundle: { codePath: readStack().workflowBundlePath } }, history, 'tampered')).rejects.toThrow();
});
