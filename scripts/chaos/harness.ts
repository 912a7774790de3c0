/**
 * The chaos run: its own Postgres cluster, Temporal dev server (SQLite file), API and
 * worker processes; load from loops of retrying clients while the harness SIGKILLs the
 * worker every few seconds, restarts Temporal once and Postgres once. After the load it
 * drains (no workflow left running) and checks that nothing was lost or invented.
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
import { checkOutcomes } from './checks';
import { runLoad, type Operation } from './load';
import { startOwnCluster } from './pg-cluster';

export interface ChaosOptions {
  wallets: number;
  durationMs: number;
  maxRequests: number;
  concurrency: number;
  killEveryMs: number;
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
  requests: number;
  answered2xx: number;
  refused4xx: number;
  /** Requests with a NUL in a text field (all must be refused with 422). */
  poisonSent: number;
  unresolved: number;
  kills: number;
  restarts: { temporal: number; postgres: number };
  violations: string[];
  seconds: number;
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
  const report: ChaosReport = { requests: 0, answered2xx: 0, refused4xx: 0, poisonSent: 0, unresolved: 0, kills: 0, restarts: { temporal: 0, postgres: 0 }, violations: [], seconds: 0 };
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
    const operations: Operation[] = [
      {
        kind: 'topup',
        path: '/wallet/topup/',
        weight: 3,
        body: (n) => {
          const w = pick(wallets, n);
          return { env_id: env.id, user_id: w.userId, wallet_id: w.id, amount: `${1 + n(50)}.${String(n(100)).padStart(2, '0')}` };
        },
      },
      {
        kind: 'transfer',
        path: '/wallet/transfer/',
        weight: 2,
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
        weight: 1,
        body: (n, done) => {
          const paid = done.filter((o) => o.kind === 'payment' && o.status === 200);
          if (!paid.length) return null;
          const order = (pick(paid, n).response as { order: { id: string } }).order;
          return { env_id: env.id, order_id: order.id, amount: '1.00' };
        },
      },
      {
        kind: 'withdraw',
        path: '/wallet/withdraw/',
        weight: 1,
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
        weight: 1,
        body: (n) => {
          const w = pick(wallets, n);
          return { env_id: env.id, user_id: w.userId, wallet_id: w.id, amount: '1.00', product_id: `sku-${n(20)}\u0000poison` };
        },
      },
      {
        kind: 'transfer_nul',
        path: '/wallet/transfer/',
        weight: 1,
        body: (n) => {
          const from = pick(wallets, n);
          const to = pick(wallets, n);
          if (from === to) return null;
          return { env_id: env.id, user_id: from.userId, wallet_id: from.id, to_wallet_id: to.id, amount: '1.00', reference: `rent\u0000${n(100)}` };
        },
      },
      {
        kind: 'payment',
        path: '/wallet/payment/',
        weight: 4,
        body: (n) => {
          const w = pick(wallets, n);
          return { env_id: env.id, user_id: w.userId, wallet_id: w.id, amount: `${1 + n(30)}.${String(n(100)).padStart(2, '0')}`, product_id: `sku-${n(20)}` };
        },
      },
    ];

    // Faults, on their own timers while the load runs (timed from the load's start).
    const loadStarted = Date.now();
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
        log(`worker killed (${report.kills})`);
      }, 100);
      try {
        if (opts.restartTemporal) {
          await sleep(opts.durationMs * 0.35);
          await stopChild(children.temporal);
          log('temporal stopped');
          await sleep(1_000);
          children.temporal = (await startTemporalServerOnce()).child;
          report.restarts.temporal += 1;
          log('temporal restarted');
        }
        if (opts.restartPostgres) {
          await sleep(opts.durationMs * (opts.restartTemporal ? 0.3 : 0.6));
          await cluster.stop();
          log('postgres stopped');
          await sleep(1_500);
          await cluster.start();
          report.restarts.postgres += 1;
          log('postgres restarted');
        }
      } finally {
        await sleep(Math.max(0, loadStarted + opts.durationMs - Date.now()));
        clearInterval(killTimer);
      }
    })();

    const outcomes = await runLoad({
      baseUrls: apiUrls,
      secret: env.secret,
      operations,
      concurrency: opts.concurrency,
      durationMs: opts.durationMs,
      maxRequests: opts.maxRequests,
      maxAttempts: 10,
    });
    await faults;
    log(`load done: ${outcomes.length} requests; draining`);

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

    report.requests = outcomes.length;
    report.answered2xx = outcomes.filter((o) => typeof o.status === 'number' && o.status < 300).length;
    report.refused4xx = outcomes.filter((o) => typeof o.status === 'number' && o.status >= 400 && o.status < 500).length;
    report.unresolved = outcomes.length - report.answered2xx - report.refused4xx;
    report.poisonSent = outcomes.filter((o) => o.kind.endsWith('_nul')).length;
    // Every answer a refusal means the load did not reach this run's API (its port taken
    // by another process after freePort chose it, say): nothing was tested.
    if (report.answered2xx === 0) report.violations.push('no request was answered 2xx: did the load reach this run\'s API?');
    report.violations.push(...(await checkOutcomes(pool, outcomes)));
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
  return report;
}
