/**
 * Where a payment's Postgres time goes (issue 11, "B0 / pgbench"): runs B0's payment SQL
 * (findWallet + the payOrder activity, as scripts/bench/b0-server.ts calls them) on ONE
 * connection, one payment after another, and measures the backend's CPU per payment and
 * per statement from /proc/<backend pid>/schedstat (nanoseconds of CPU, read between
 * statements while the backend waits on its socket), plus this process's CPU and the
 * round trips per payment. No HTTP, no Temporal: only the SQL and its client side.
 *
 *   node --import tsx scripts/bench/pay-sql.ts [payments=2000] [rounds=3]
 *
 * PAYNOCCHIO_BENCH_DB names the database (recreated; default paynocchio_bench_paysql).
 * PAYSQL_SETUP_SQL runs after the migrations (to measure a change, e.g. a trigger disabled).
 * Prints one JSON line per round, then the per-statement table of the last round.
 */
import { createHash, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PoolClient } from 'pg';
import { createTopupPaymentActivities } from '../../src/activities/topup-payment';
import { migrate } from '../../src/db/migrate';
import { createPool, type Pool } from '../../src/db/pool';
import { findWallet } from '../../src/db/queries/wallets';
import { LOCAL_POSTGRES, createDatabase } from '../stack';
import { createBenchEnvironment, seedWallets } from './seed';

function backendNs(pid: number): number {
  return Number(readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[0]);
}

/** A statement's label: its prepared name, or its first words. */
function label(q: unknown): string {
  if (typeof q === 'string') return q.replace(/\s+/g, ' ').trim().slice(0, 60);
  const c = q as { name?: string; text?: string };
  return (c.name ? `[${c.name.slice(0, 6)}] ` : '') + (c.text ?? '?').replace(/\s+/g, ' ').trim().slice(0, 60);
}

async function main(): Promise<void> {
  const payments = Number(process.argv[2] ?? 2000);
  const rounds = Number(process.argv[3] ?? 3);
  const database = process.env.PAYNOCCHIO_BENCH_DB ?? 'paynocchio_bench_paysql';
  const url = await createDatabase(LOCAL_POSTGRES, database, true);
  const setup = createPool(url, 2);
  await migrate(setup);
  // PAYSQL_SETUP_SQL: a change to measure against (e.g. a trigger disabled), run after the migrations.
  if (process.env.PAYSQL_SETUP_SQL) await setup.query(process.env.PAYSQL_SETUP_SQL);
  const { envId } = await createBenchEnvironment(setup);
  const set = await seedWallets(setup, envId, 'main', 1000, mkdtempSync(join(tmpdir(), 'pay-sql-')));
  await setup.end();
  const wallets = JSON.parse(readFileSync(set.file, 'utf8')) as [string, string][];

  // PAYSQL_CONCURRENCY: that many connections, each paying one after another from its own
  // wallets (B0 runs 10 connections): what concurrent payments of one environment add.
  const concurrency = Number(process.env.PAYSQL_CONCURRENCY ?? 1);
  const pool = createPool(url, concurrency);
  // Every statement of a payment goes through its lane's one client: count and time each.
  const stats = new Map<string, { n: number; ns: number; wallNs: number }>();
  let roundTrips = 0;
  // PAYSQL_NAME_ALL=1: every statement named (prepared once per connection): the upper bound of that lever.
  const nameAll = process.env.PAYSQL_NAME_ALL === '1';
  const lanes: { pid: number; pay: (i: number) => Promise<void> }[] = [];
  for (let lane = 0; lane < concurrency; lane++) {
    const client = await pool.connect();
    const pid = (await client.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0]!.pid;
    const query = client.query.bind(client) as (...a: unknown[]) => Promise<unknown>;
    const wrapped = async (...args: unknown[]) => {
      if (nameAll && typeof args[0] === 'string' && Array.isArray(args[1]) && args[1].length) {
        args = [{ name: 'h' + createHash('sha1').update(args[0]).digest('hex').slice(0, 16), text: args[0], values: args[1] }];
      }
      const before = backendNs(pid);
      const t0 = process.hrtime.bigint();
      try {
        return await query(...args);
      } finally {
        const st = stats.get(label(args[0])) ?? { n: 0, ns: 0, wallNs: 0 };
        st.n++;
        st.ns += backendNs(pid) - before;
        st.wallNs += Number(process.hrtime.bigint() - t0);
        stats.set(label(args[0]), st);
        roundTrips++;
      }
    };
    (client as unknown as { query: unknown }).query = wrapped;
    // The lane's "pool": always its own client (withTransaction's release is a no-op here).
    const lanePool = { connect: async () => ({ query: wrapped, release: () => undefined }), query: wrapped } as unknown as Pool;
    const activities = createTopupPaymentActivities({ pool: lanePool });
    const mine = wallets.filter((_, k) => k % concurrency === lane);
    lanes.push({
      pid,
      pay: async (i: number) => {
        const [walletId, userId] = mine[i % mine.length]!;
        const wallet = (await findWallet(lanePool, envId, walletId, userId))!;
        const workflowId = `pay-sql-${randomUUID()}`;
        await activities.payOrder({
          workflowId,
          idempotencyId: `${workflowId}:charge`,
          envId,
          walletId: wallet.id,
          userId: wallet.userId,
          productId: 'p',
          amount: '100',
          currency: wallet.currency,
        });
      },
    });
  }
  const run = (n: number) => Promise.all(lanes.map(async (l) => { for (let i = 0; i < n; i++) await l.pay(i); }));
  const backendsNs = () => lanes.reduce((sum, l) => sum + backendNs(l.pid), 0);
  await run(Math.ceil(200 / concurrency)); // warm: plans cached, JIT'd
  const perLane = Math.ceil(payments / concurrency);
  const total = perLane * concurrency;
  for (let r = 0; r < rounds; r++) {
    stats.clear();
    roundTrips = 0;
    const pg0 = backendsNs();
    const cpu0 = process.cpuUsage();
    const t0 = Date.now();
    await run(perLane);
    const ms = Date.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    console.log(
      JSON.stringify({
        round: r,
        concurrency,
        payments: total,
        perSecond: Math.round((total * 1000) / ms),
        postgresUsPerPayment: Math.round((backendsNs() - pg0) / total / 1000),
        appUsPerPayment: Math.round((cpu.user + cpu.system) / total),
        roundTripsPerPayment: roundTrips / total,
      }),
    );
  }
  const rows = [...stats].sort((a, b) => b[1].ns - a[1].ns);
  for (const [text, s] of rows) {
    console.log(`${String(Math.round(s.ns / s.n / 1000)).padStart(5)} µs cpu ${String(Math.round(s.wallNs / s.n / 1000)).padStart(5)} µs wall  ×${(s.n / (Math.ceil(payments / concurrency) * concurrency)).toFixed(2)}  ${text}`);
  }
  await pool.end();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
