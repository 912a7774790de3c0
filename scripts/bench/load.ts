/** Runs one scenario in a separate driver process (driver.ts) and reads back its result. */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../stack';
import type { DriverResult, DriverSpec } from './driver';

const specDir = mkdtempSync(join(tmpdir(), 'paynocchio-bench-'));
let specs = 0;

export async function runLoad(spec: DriverSpec): Promise<DriverResult> {
  const file = join(specDir, `spec-${specs++}.json`);
  writeFileSync(file, JSON.stringify(spec));
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'scripts/bench/driver.ts'), file], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (err += c.toString()));
  const code = await new Promise<number | null>((r) => child.once('exit', r));
  const line = out.split('\n').find((l) => l.startsWith('RESULT '));
  if (code !== 0 || !line) throw new Error(`driver for ${spec.kind} failed (${code}): ${err.slice(-2000)}`);
  return JSON.parse(line.slice('RESULT '.length)) as DriverResult;
}
