/**
 * Kept for the old name: re-records the histories as `npm run histories:record` does
 * (scripts/histories.ts: replay first, re-record with the recording tests on a stack of
 * their own, keep recordings of older patch paths, write the bundle fingerprint). It no
 * longer needs `npm run dev` running.
 *
 *   node --import tsx scripts/record-histories.ts
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const run = spawnSync(process.execPath, ['--import', 'tsx', join(__dirname, 'histories.ts'), 'record', ...process.argv.slice(2)], { stdio: 'inherit' });
process.exit(run.status ?? 1);
