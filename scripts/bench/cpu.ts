/**
 * Process CPU counters: utime + stime from /proc/<pid>/stat (clock ticks, USER_HZ = 100
 * on Linux), read before and after a scenario, so CPU per request is measured, not
 * estimated. Postgres is the sum over the backends connected to the bench's database
 * (their cmdline names it); background processes (WAL writer, checkpointer) and backends
 * that exit during the scenario are not counted.
 */
import { readdirSync, readFileSync } from 'node:fs';

const TICK_MS = 10; // USER_HZ 100

/** CPU ms a process has used so far, or null if it is gone / not Linux. */
export function cpuMs(pid: number | undefined | null): number | null {
  if (!pid) return null;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces): state is field 3; utime 14, stime 15.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(rest[11]) + Number(rest[12])) * TICK_MS;
  } catch {
    return null;
  }
}

/** CPU ms per Postgres backend pid connected to `database`. */
export function postgresBackends(database: string): Map<number, number> {
  const out = new Map<number, number>();
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((p) => /^\d+$/.test(p));
  } catch {
    return out;
  }
  for (const p of pids) {
    try {
      const cmd = readFileSync(`/proc/${p}/cmdline`, 'utf8');
      if (!cmd.startsWith('postgres: ') || !cmd.split(' ').includes(database)) continue;
      const ms = cpuMs(Number(p));
      if (ms !== null) out.set(Number(p), ms);
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

export interface CpuSnapshot {
  procs: Record<string, number | null>;
  postgres: Map<number, number> | null;
}

export function snapshot(pids: Record<string, number | undefined | null>, database: string | null): CpuSnapshot {
  const procs: Record<string, number | null> = {};
  for (const [name, pid] of Object.entries(pids)) procs[name] = cpuMs(pid);
  return { procs, postgres: database ? postgresBackends(database) : null };
}

/** CPU ms per request for each process between two snapshots (null where not measured). */
export function perRequest(before: CpuSnapshot, after: CpuSnapshot, requests: number): Record<string, number | null> {
  const n = Math.max(1, requests);
  const r2 = (x: number) => Math.round(x * 100) / 100;
  const out: Record<string, number | null> = {};
  for (const [name, a] of Object.entries(after.procs)) {
    const b = before.procs[name];
    out[name] = a === null || b === null || b === undefined ? null : r2((a - b) / n);
  }
  if (after.postgres && before.postgres) {
    let used = 0;
    for (const [pid, a] of after.postgres) used += a - (before.postgres.get(pid) ?? 0);
    out.postgres = r2(used / n);
  }
  return out;
}
