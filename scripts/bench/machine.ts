/** What a run was measured on: machine, load, versions, date (kept with every result). */
import { execFileSync } from 'node:child_process';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import type { Pool } from '../../src/db/pool';
import { ROOT } from '../stack';

function tryRun(cmd: string, args: string[]): string | null {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
}

function pkgVersion(name: string): string | null {
  try {
    return (require(join(ROOT, 'node_modules', name, 'package.json')) as { version: string }).version;
  } catch {
    return null;
  }
}

export interface MachineInfo {
  date: string;
  cpuModel: string;
  cores: number;
  memoryGb: number;
  loadAvg: number[];
  uptime: string | null;
  node: string;
  temporalCli: string | null;
  temporalSdk: string | null;
  postgres: string | null;
}

export async function machineInfo(pool: Pool | null, temporalPath: string | null): Promise<MachineInfo> {
  const pg = pool ? await pool.query<{ v: string }>('select version() as v').then((r) => r.rows[0]!.v, () => null) : null;
  return {
    date: new Date().toISOString(),
    cpuModel: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    memoryGb: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
    loadAvg: loadavg().map((l) => Math.round(l * 100) / 100),
    uptime: tryRun('uptime', []),
    node: process.version,
    temporalCli: temporalPath ? tryRun(temporalPath, ['--version']) : null,
    temporalSdk: pkgVersion('@temporalio/worker'),
    postgres: pg,
  };
}
