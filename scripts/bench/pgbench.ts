/**
 * The ceiling: pgbench (shipped with the machine's Postgres) running a one-row-update
 * transaction on the bench database, on random rows of 1,000 and on one hot row.
 * No application, no HTTP: what this Postgres on this disk can commit.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Pool } from '../../src/db/pool';

export interface PgbenchResult {
  name: string;
  clients: number;
  seconds: number;
  tps: number;
  latencyAvgMs: number;
}

/** pgbench on PATH, else the newest /usr/lib/postgresql/<v>/bin/pgbench. */
export function findPgbench(): string | null {
  const onPath = spawnSync('bash', ['-c', 'command -v pgbench'], { encoding: 'utf8' }).stdout.trim();
  if (onPath) return onPath;
  const base = '/usr/lib/postgresql';
  if (!existsSync(base)) return null;
  const versions = readdirSync(base).sort((a, b) => Number(b) - Number(a));
  for (const v of versions) {
    const p = join(base, v, 'bin/pgbench');
    if (existsSync(p)) return p;
  }
  return null;
}

export async function runPgbench(pool: Pool, databaseUrl: string, seconds: number, clients: number): Promise<PgbenchResult[] | { skipped: string }> {
  const bin = findPgbench();
  if (!bin) return { skipped: 'pgbench not found' };
  await pool.query('create table if not exists bench_pgbench (id int primary key, v bigint not null default 0)');
  await pool.query('insert into bench_pgbench (id) select g from generate_series(1, 1000) g on conflict do nothing');
  const u = new URL(databaseUrl);
  const env = { ...process.env, PGPASSWORD: decodeURIComponent(u.password) };
  const args = ['-n', '-h', u.hostname, '-p', u.port || '5432', '-U', decodeURIComponent(u.username) || 'postgres', '-c', String(clients), '-j', '2', '-T', String(seconds)];
  const out: PgbenchResult[] = [];
  for (const [name, script] of [
    ['one-row update, random row of 1,000', '\\set id random(1, 1000)\nupdate bench_pgbench set v = v + 1 where id = :id;\n'],
    ['one-row update, one hot row', 'update bench_pgbench set v = v + 1 where id = 1;\n'],
  ] as const) {
    const file = join(tmpdir(), `paynocchio-pgbench-${process.pid}-${out.length}.sql`);
    writeFileSync(file, script);
    const text = execFileSync(bin, [...args, '-f', file, u.pathname.slice(1)], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    const tps = Number(/tps = ([\d.]+)/.exec(text)?.[1] ?? 0);
    const lat = Number(/latency average = ([\d.]+) ms/.exec(text)?.[1] ?? 0);
    out.push({ name, clients, seconds, tps: Math.round(tps), latencyAvgMs: lat });
  }
  return out;
}
