/**
 * With RECORD_HISTORIES=1, writes a finished workflow's history to test/histories/
 * in the proto JSON form the Temporal CLI prints (the form historyFromJSON reads), for
 * the replay tests. Re-record only when a change is meant to be incompatible.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readStack } from './stack';

export function recordHistory(name: string, workflowId: string, address = readStack().temporalAddress): void {
  if (process.env.RECORD_HISTORIES !== '1') return;
  const json = execFileSync(
    readStack().temporalPath,
    ['workflow', 'show', '--workflow-id', workflowId, '--address', address, '--output', 'json'],
    { encoding: 'utf8' },
  );
  writeFileSync(join(__dirname, '..', 'histories', `${name}.json`), JSON.stringify(JSON.parse(json), null, 1) + '\n');
}
