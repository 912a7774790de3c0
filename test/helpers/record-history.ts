/**
 * With RECORD_HISTORIES=1 (set by `npm run histories:record`, scripts/histories.ts), writes
 * a finished workflow's history to test/histories/ in the proto JSON form the Temporal CLI
 * prints (the form historyFromJSON reads), for the replay tests. The histories command
 * finds the test files that record by these two names: a test file that calls either is
 * run when histories are re-recorded.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { historyToJson } from '../../src/admin/history-json';
import { readStack } from './stack';

export const HISTORIES_DIR = join(__dirname, '..', 'histories');

export const recording = (): boolean => process.env.RECORD_HISTORIES === '1';

/** By workflow id, through the CLI, from the suite's Temporal (or `address`). */
export function recordHistory(name: string, workflowId: string, address = readStack().temporalAddress): void {
  if (!recording()) return;
  const json = execFileSync(
    readStack().temporalPath,
    ['workflow', 'show', '--workflow-id', workflowId, '--address', address, '--output', 'json'],
    { encoding: 'utf8' },
  );
  writeFileSync(join(HISTORIES_DIR, `${name}.json`), JSON.stringify(JSON.parse(json), null, 1) + '\n');
}

/** By handle (any client: a workflow test's own local server too). */
export async function recordHandleHistory(name: string, handle: Pick<WorkflowHandle, 'fetchHistory'>): Promise<void> {
  if (!recording()) return;
  writeFileSync(join(HISTORIES_DIR, `${name}.json`), historyToJson(await handle.fetchHistory()) + '\n');
}
