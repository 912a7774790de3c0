/**
 * The chaos run: its own Postgres cluster, Temporal dev server (SQLite file), API and
 * worker processes; load from loops of retrying clients while the harness SIGKILLs the
 * worker every few seconds, restarts Temporal once and Postgres once. After the load it
 * drains (no workflow left running) and checks that nothing was lost or invented
 * (scripts/chaos/checks.ts: each request's effect against its body, wallet by wallet);
 * verdict.ts then says whether the run proved anything (enough kills, restarts and
 * carried requests of every kind, nothing unresolved or unexpected) against the
 * thresholds the caller passes: `npm run chaos` the full ones, the suite's smoke runs
 * lower ones.
 * Horizontal mode (`apis`/`workers` > 1): several API processes and workers against the
 * one Temporal and the one Postgres; each request attempt goes to the next API in turn
 * (a retry with the same Idempotency-Key reaches another process), and the harness kills
 * one worker at a time. `temporal: 'postgres'` runs the real Temporal server on the run's
 * own cluster instead of the dev server.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode } from '@temporalio/worker';
import { WORKFLOWS_PATH } from '../../src/worker/worker';
import { migrate } from '../../src/db/migrate';
import { postTransaction } from '../../src/db/ledger';
import { createPool, withTransaction } from '../../src/db/pool';
import { createFundedEnvironment } from '../../src/db/deposits';
import { findLedgerViolations } from '../../src/db/queries/invariants';
import { createWallet } from '../../src/db/queries/wallets';
import {
  createDatabase,
  ensureTemporalServerTools,
  ensureTools,
  freePort,
  nodeScript,
  portOpen,
  spawnPrefixed,
  startStripeMock,
  startTemporal,
  startTemporalServer,
  stopChild,
  waitFor,
} from '../stack';
import { checkOutcomes, classify, tally, type KindFigures } from './checks';
import { runLoad, type Operation } from './load';
import { startOwnCluster } from './pg-cluster';
import { verdict, type ChaosThresholds } from './verdict';

export interface ChaosOptions {
  wallets: number;
  /** How long the load runs; with stopWhenMet, the most it may run. */
  durationMs: number;
  /**
   * End the load as soon as the run has met its thresholds (kills, restarts, carried
   * requests of every kind), checked before each new request: on a busy machine the
   * run goes on until it has proved what it must, on an idle one it stops early.
   */
  stopWhenMet?: boolean;
  /** The restarts happen at 35% (Temporal) and 65% (Postgres) of this (default durationMs). */
  faultWindowMs?: number;
  maxRequests: number;
  concurrency: number;
  /** At least this long between two worker kills (the kills are spaced over the load). */
  killEveryMs: number;
  /** Attempts per request before the load gives up on it (default 10): a careful client retrying. */
  maxAttempts?: number;
  /** What the run must reach to pass (scripts/chaos/verdict.ts); report.failures says what it missed. */
  thresholds: ChaosThresholds;
  /** How long a (re)started worker polls before it may be killed again (default 500 ms). */
  minWorkerUpMs?: number;
  restartTemporal: boolean;
  restartPostgres: boolean;
  verbose: boolean;
  /** API processes behind the load (default 1); attempts go to each in turn. */
  apis?: number;
  /** Worker processes on the one task queue (default 1); a kill takes one of them. */
  workers?: number;
  /** The dev server (default) or the real Temporal server on the run's own Postgres. */
  temporal?: 'dev' | 'postgres';
  /**
   * Runs against the ready stack before the chaos load (no faults yet); returns violations.
   * The horizontal test sends its concurrency and idempotency checks through both APIs here.
   */
  beforeLoad?: (stack: ChaosStack) => Promise<string[]>;
}

/** What beforeLoad gets: the APIs, the run's environment and wallets, a pool on its database. */
export interface ChaosStack {
  apiUrls: string[];
  temporalAddress: string;
  envId: string;
  secret: string;
  wallets: { id: string; userId: string }[];
  pool: ReturnType<typeof createPool>;
}

export interface ChaosReport {
  /** Logical requests (each with its own Idempotency-Key, however often retried). */
  requests: number;
  /** Requests carried to their intended end: 2xx, or the 422 a NUL-field request must get. */
  carried: number;
  /** Refusals the kind may get (insufficient funds, …). */
  refused: number;
  /** Final answers no request of the load should get (401, 404, …). */
  unexpected: number;
  /** No answer, or a 5xx/429 after every retry. */
  unresolved: number;
  /** Per kind: sent, carried, refusals, unexpected and unresolved answers by status and code, attempts, what retried attempts got. */
  kinds: Record<string, KindFigures>;
  kills: number;
  restarts: { temporal: number; postgres: number };
  /** The faults, in seconds from the load's start (a kill, `temporal down`/`up`, `postgres down`/`up`). */
  faults: { at: number; what: string }[];
  /** How long the load ran (its last requests finished), the drain, the whole run. */
  loadSeconds: number;
  drainSeconds: number;
  seconds: number;
  /** What the checks and the ledger invariants found. */
  violations: string[];
  /** verdict(): why the run fails against its thresholds; empty = passed. */
  failures: string[];
  passed: boolean;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const quietLogger = { log() {}, info() {}, warn() {}, debug() {}, trace() {}, error: console.error };

export async function runChaos(opts: ChaosOptions): Promise<ChaosReport> {
  const started = Date.now();
  const log = (msg: string) => opts.verbose && console.log(`[chaos] ${msg}`);
  const tools = ensureTools();
  const apiCount = opts.apis ?? 1;
  const workerCount = opts.workers ?? 1;
  const [pgPort, temporalPort] = [await freePort(), await freePort()];
  const apiPorts: number[] = [];
  for (let i = 0; i < apiCount; i++) apiPorts.push(await freePort());
  const cluster = await startOwnCluster(pgPort);
  type Worker = ChildProcess & { ready: () => boolean; upFor: () => number };
  const children: { workers: (Worker | undefined)[]; apis: ChildProcess[]; temporal?: ChildProcess | null; stripe?: ChildProcess } = { workers: [], apis: [] };
  const dir = mkdtempSync(join(tmpdir(), 'paynocchio-chaos-'));
  const report: ChaosReport = {
    requests: 0, carried: 0, refused: 0, unexpected: 0, unresolved: 0, kinds: {}, kills: 0, restarts: { temporal: 0, postgres: 0 },
    faults: [], loadSeconds: 0, drainSeconds: 0, seconds: 0, violations: [], failures: [], passed: false,
  };
  let stopping = false;
  try {
    const databaseUrl = await createDatabase(cluster.url, 'paynocchio_chaos', true);
    const pool = createPool(databaseUrl, 4);
    await migrate(pool);
    // Funded far beyond what a run can top up (opening balances and the load's topups).
    const env = await createFundedEnvironment(pool, 'chaos', [{ currency: 'USD', amount: 100_000_000_000n }]);
    const wallets: { id: string; userId: string }[] = [];
    for (let i = 0; i < opts.wallets; i++) {
      const { wallet } = await createWallet(pool, env.id, `chaos-user-${i}`, 'USD');
      wallets.push({ id: wallet.id, userId: wallet.userId });
      // An opening balance, so most payments can succeed from the start.
      await withTransaction(pool, (c) =>
        postTransaction(c, {
          idempotencyId: `chaos-opening-${wallet.id}`,
          envId: env.id,
          currency: 'USD',
          type: 'topup',
          amount: 50_000n,
          legs: [
            { account: 'wallet', walletId: wallet.id, amount: 50_000n },
            { account: 'funding', amount: -50_000n },
          ],
          requireActive: true,
        }),
      );
    }

    const serverTools = opts.temporal === 'postgres' ? ensureTemporalServerTools() : null;
    let temporalStarts = 0;
    const startTemporalServerOnce = () =>
      serverTools
        ? // Its own databases on the run's cluster: fresh the first time, kept on the restart.
          startTemporalServer({ tools: serverTools, postgresUrl: cluster.url, database: 'paynocchio_chaos_temporal', port: temporalPort, fresh: temporalStarts++ === 0, quiet: !opts.verbose })
        : startTemporal({ temporal: tools.temporal, port: temporalPort, dbFile: join(dir, 'temporal.sqlite'), quiet: !opts.verbose });
    children.temporal = (await startTemporalServerOnce()).child;
    const stripe = await startStripeMock({ stripeMock: tools.stripeMock, port: await freePort(), quiet: !opts.verbose });
    children.stripe = stripe.child;
    const address = `127.0.0.1:${temporalPort}`;
    // Bundle the workflows once, so a respawned worker is back in a second, not after webpack.
    const bundlePath = join(dir, 'workflow-bundle.js');
    const bundle = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: quietLogger });
    writeFileSync(bundlePath, bundle.code);
    const processEnv = {
      ...process.env,
      NODE_ENV: 'test' as const,
      DATABASE_URL: databaseUrl,
      TEMPORAL_ADDRESS: address,
      TEMPORAL_TASK_QUEUE: 'chaos',
      RATE_LIMIT_PER_SECOND: '0',
      // Several workers come and go: no fixed metrics ports.
      WORKER_METRICS_PORT: '0',
      TEMPORAL_METRICS_PORT: '0',
      SYNC_TIMEOUT_MS: '20000',
      WORKFLOW_BUNDLE_PATH: bundlePath,
      STRIPE_API_BASE: stripe.url,
      // Nobody onboards in a chaos run: each withdrawal waits a few seconds, expires and
      // releases its hold, which the checks then demand.
      WITHDRAW_ONBOARDING_TIMEOUT_MS: '4000',
    };
    const spawnWorker = (slot: number): Worker => {
      let readyAt = 0; // when it logged "worker ready"; 0 while it starts
      const name = workerCount > 1 ? `worker${slot + 1}` : 'worker';
      const child = spawnPrefixed(name, ...nodeScript('src/worker/main.ts'), processEnv, !opts.verbose, (line) => {
        if (!readyAt && (line.startsWith('worker ready') || line.includes('"msg":"worker ready"'))) readyAt = Date.now();
      });
      child.on('exit', () => {
        if (!stopping && children.workers[slot] === child) setTimeout(() => !stopping && (children.workers[slot] = spawnWorker(slot)), 300);
      });
      return Object.assign(child, { ready: () => readyAt > 0, upFor: () => (readyAt ? Date.now() - readyAt : 0) });
    };
    for (let i = 0; i < workerCount; i++) children.workers[i] = spawnWorker(i);
    for (const [i, port] of apiPorts.entries()) {
      children.apis.push(spawnPrefixed(apiCount > 1 ? `api${i + 1}` : 'api', ...nodeScript('src/api/main.ts'), { ...processEnv, PORT: String(port) }, !opts.verbose));
    }
    for (const [i, port] of apiPorts.entries()) await waitFor('api', () => portOpen(port), 60_000, children.apis[i]);
    for (let i = 0; i < workerCount; i++) await waitFor('worker', async () => children.workers[i]!.ready(), 60_000);
    const apiUrls = apiPorts.map((port) => `http://127.0.0.1:${port}`);
    log(`stack up: postgres :${pgPort}, temporal :${temporalPort} (${opts.temporal ?? 'dev'}), api ${apiPorts.map((p) => `:${p}`).join(' ')}, ${workerCount} worker(s)`);
    if (opts.beforeLoad) {
      report.violations.push(...(await opts.beforeLoad({ apiUrls, temporalAddress: address, envId: env.id, secret: env.secret, wallets, pool })));
      log(`beforeLoad done (${report.violations.length} violations)`);
    }

    const pick = <T>(list: T[], n: (k: number) => number) => list[n(list.length)]!;
    // The orders the load's payments paid (refunds pick one), collected as answers arrive.
    const paidOrders: string[] = [];
    let scanned = 0;
    // Listed first: on a tie the load sends the first kind listed, and refunds need a paid order.
    const operations: Operation[] = [
      {
        kind: 'payment',
        path: '/wallet/payment/',
        body: (n) => {
          const w = pick(wallets, n);
          return { env_id: env.id, user_id: w.userId, wallet_id: w.id, amount: `${1 + n(30)}.${String(n(100)).padStart(2, '0')}`, product_id: `sku-${n(20)}` };
        },
      },
      {
        kind: 'topup',
        path: '/wallet/topup/',
        body: (n) => {
          const w = pick(wallets, n);
          return { env_id: env.id, user_id: w.userId, wallet_id: w.id, amount: `${1 + n(50)}.${String(n(100)).padStart(2, '0')}` };
        },
      },
      {
        kind: 'transfer',
        path: '/wallet/transfer/',
        body: (n) => {
          const from = pick(wallets, n);
          const to = pick(wallets, n);
          if (from === to) return null;
          return { env_id: env.id, user_id: from.userId, wallet_id: from.id, to_wallet_id: to.id, amount: `${1 + n(20)}.${String(n(100)).padStart(2, '0')}` };
        },
      },
      {
        kind: 'refund',
        path: '/wallet/refund/',
        body: (n, done) => {
          for (; scanned < done.length; scanned++) {
            const o = done[scanned]!;
            if (o.kind === 'payment' && o.status === 200) paidOrders.push((o.response as { order: { id: string } }).order.id);
          }
          if (!paidOrders.length) return null;
          return { env_id: env.id, order_id: pick(paidOrders, n), amount: '1.00' };
        },
      },
      {
        kind: 'withdraw',
        path: '/wallet/withdraw/',
        body: (n) => {
          const w = pick(wallets, n);
          return { env_id: env.id, user_id: w.userId, wallet_id: w.id, amount: `${1 + n(10)}.00` };
        },
      },
      // Poison input: a NUL in a text field must be refused (422) before any workflow
      // starts; old main started one that retried forever and was never drained.
      {
        kind: 'payment_nul',
        path: '/wallet/payment/',
        body: (n) => {
          const w = pick(wallets, n);
          return { env_id: env.id, user_id: w.userId, wallet_id: w.id, amount: '1.00', product_id: `sku-${n(20)}\u0000poison` };
        },
      },
      {
        kind: 'transfer_nul',
        path: '/wallet/transfer/',
        body: (n) => {
          const from = pick(wallets, n);
          const to = pick(wallets, n);
          if (from === to) return null;
          return { env_id: env.id, user_id: from.userId, wallet_id: from.id, to_wallet_id: to.id, amount: '1.00', reference: `rent\u0000${n(100)}` };
        },
      },
    ];

    // What the checks start from: the ledger, orders and withdrawals before the load, and
    // every wallet's balance (beforeLoad's requests have finished by now).
    const before = await pool.query<{ tx: string; ord: string; wd: string }>(
      `select (select coalesce(max(id), 0)::text from ledger_transactions) as tx,
              (select coalesce(max(id), 0)::text from orders) as ord,
              (select coalesce(max(id), 0)::text from withdrawals) as wd`,
    );
    const balances = await pool.query<{ id: string; balance: string }>(`select id::text, balance::text from wallets where env_id = $1`, [env.id]);
    const since = {
      transactionId: before.rows[0]!.tx,
      orderId: before.rows[0]!.ord,
      withdrawalId: before.rows[0]!.wd,
      balances: new Map(balances.rows.map((r) => [r.id, BigInt(r.balance)])),
    };

    // Faults, on their own timers while the load runs (timed from the load's start).
    const loadStarted = Date.now();
    let loadOver = false;
    let endLoad = () => {};
    const loadFinished = new Promise<void>((resolve) => (endLoad = resolve));
    const fault = (what: string) => {
      report.faults.push({ at: Math.round((Date.now() - loadStarted) / 100) / 10, what });
      log(what);
    };
    const faults = (async () => {
      // SIGKILL a worker every killEveryMs (each in turn when there are several), but only
      // one that has been polling for at least minWorkerUpMs: a worker killed while still
      // starting makes no progress at all on a loaded machine (every request would time
      // out), which tests nothing.
      let lastKill = Date.now();
      let nextVictim = 0;
      const killTimer = setInterval(() => {
        const w = children.workers[nextVictim % workerCount];
        if (!w || w.exitCode !== null || w.signalCode !== null) return;
        if (Date.now() - lastKill < opts.killEveryMs || w.upFor() < (opts.minWorkerUpMs ?? 500)) return;
        nextVictim += 1;
        w.kill('SIGKILL');
        lastKill = Date.now();
        report.kills += 1;
        fault(`worker killed (${report.kills})`);
      }, 100);
      const windowMs = opts.faultWindowMs ?? opts.durationMs;
      try {
        if (opts.restartTemporal) {
          await sleep(windowMs * 0.35);
          if (loadOver) return;
          await stopChild(children.temporal);
          fault('temporal down');
          await sleep(1_000);
          children.temporal = (await startTemporalServerOnce()).child;
          report.restarts.temporal += 1;
          fault('temporal up');
        }
        if (opts.restartPostgres) {
          await sleep(Math.max(0, loadStarted + windowMs * 0.65 - Date.now()));
          if (loadOver) return;
          await cluster.stop();
          fault('postgres down');
          await sleep(1_500);
          await cluster.start();
          report.restarts.postgres += 1;
          fault('postgres up');
        }
      } finally {
        await loadFinished;
        clearInterval(killTimer);
      }
    })();

    // Carried requests per kind as they arrive: a progress line every minute and, with
    // stopWhenMet, the end of the load once every threshold that counts during it is met.
    const carried = new Map<string, number>();
    const sent = new Map<string, number>();
    const onOutcome = (o: { kind: string; status: number | 'gave_up'; response: unknown }) => {
      sent.set(o.kind, (sent.get(o.kind) ?? 0) + 1);
      if (classify(o).class === 'carried') carried.set(o.kind, (carried.get(o.kind) ?? 0) + 1);
    };
    const progress = setInterval(() => {
      const kinds = operations.map((op) => `${op.kind} ${carried.get(op.kind) ?? 0}/${sent.get(op.kind) ?? 0}`).join(', ');
      log(`${Math.round((Date.now() - loadStarted) / 1000)} s: carried/answered ${kinds}; kills ${report.kills}`);
    }, 60_000);
    const enough = () => {
      const t = opts.thresholds;
      return (
        report.kills >= t.minKills &&
        (!opts.restartTemporal || report.restarts.temporal >= Math.max(1, t.minTemporalRestarts)) &&
        (!opts.restartPostgres || report.restarts.postgres >= Math.max(1, t.minPostgresRestarts)) &&
        operations.every((op) => (carried.get(op.kind) ?? 0) >= t.minCarriedPerKind)
      );
    };

    const outcomes = await runLoad({
      baseUrls: apiUrls,
      secret: env.secret,
      operations,
      concurrency: opts.concurrency,
      durationMs: opts.durationMs,
      maxRequests: opts.maxRequests,
      maxAttempts: opts.maxAttempts ?? 10,
      onOutcome,
      ...(opts.stopWhenMet ? { enough } : {}),
    }).finally(() => {
      clearInterval(progress);
      loadOver = true;
      endLoad();
    });
    report.loadSeconds = Math.round((Date.now() - loadStarted) / 1000);
    await faults;
    log(`load done: ${outcomes.length} requests in ${report.loadSeconds} s; draining`);
    const drainStarted = Date.now();

    // Drain: make sure a worker runs, then wait until no workflow is left running.
    const connection = await Connection.connect({ address });
    const client = new Client({ connection });
    let stillRunning: string[] = [];
    await waitFor(
      'drain',
      async () => {
        stillRunning = [];
        for await (const wf of client.workflow.list({ query: 'ExecutionStatus="Running"' })) stillRunning.push(wf.workflowId);
        return stillRunning.length === 0;
      },
      120_000,
    ).catch(() => undefined);
    // A workflow still running after the drain (one retrying forever) is a violation.
    for (const id of stillRunning) report.violations.push(`workflow ${id} still running after the drain`);
    await connection.close();
    report.drainSeconds = Math.round((Date.now() - drainStarted) / 1000);

    // The figures (a load that never reached this run's API — its port taken by another
    // process, a wrong secret — is all unexpected answers and carries nothing: the
    // verdict fails it), then the checks and the ledger invariants.
    report.kinds = tally(outcomes, operations.map((o) => o.kind));
    const total = (pick: (f: KindFigures) => number) => Object.values(report.kinds).reduce((s, f) => s + pick(f), 0);
    const count = (m: Record<string, number>) => Object.values(m).reduce((s, n) => s + n, 0);
    report.requests = outcomes.length;
    report.carried = total((f) => f.carried);
    report.refused = total((f) => count(f.refused));
    report.unexpected = total((f) => count(f.unexpected));
    report.unresolved = total((f) => count(f.unresolved));
    report.violations.push(...(await checkOutcomes(pool, outcomes, env.id, since)));
    for (const v of await findLedgerViolations(pool)) report.violations.push(`${v.rule}: ${v.ids.join(', ')}`);
    await pool.end();
  } finally {
    stopping = true;
    for (const api of children.apis) await stopChild(api);
    for (const worker of children.workers) await stopChild(worker);
    await stopChild(children.temporal);
    await stopChild(children.stripe);
    await cluster.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
  report.seconds = Math.round((Date.now() - started) / 1000);
  report.failures = verdict(report, opts.thresholds);
  report.passed = report.failures.length === 0;
  return report;
}
