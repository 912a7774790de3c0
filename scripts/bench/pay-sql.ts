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
import { createPool } from '../../src/db/pool';
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
  const { envId } = await createBenchEnvironment(setup);
  const set = await seedWallets(setup, envId, 'main', 1000, mkdtempSync(join(tmpdir(), 'pay-sql-')));
  await setup.end();
  const wallets = JSON.parse(readFileSync(set.file, 'utf8')) as [string, string][];

  const pool = createPool(url, 1);
  const client = await pool.connect();
  const pid = (await client.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0]!.pid;
  // Every statement of the payment goes through this one client: count and time each.
  const stats = new Map<string, { n: number; ns: number; wallNs: number }>();
  let roundTrips = 0;
  const query = client.query.bind(client) as (...a: unknown[]) => Promise<unknown>;
  // PAYSQL_NAME_ALL=1: every statement named (prepared once per connection): the upper bound of that lever.
  const nameAll = process.env.PAYSQL_NAME_ALL === '1';
  (client as unknown as { query: unknown }).query = async (...args: unknown[]) => {
    if (nameAll && typeof args[0] === 'string' && Array.isArray(args[1]) && args[1].length) {
      args = [{ name: 'h' + createHash('sha1').update(args[0]).digest('hex').slice(0, 16), text: args[0], values: args[1] }, ...args.slice(2)];
    }
    const before = backendNs(pid);
    const t0 = process.hrtime.bigint();
    const done = () => {
      const s = stats.get(label(args[0])) ?? { n: 0, ns: 0, wallNs: 0 };
      s.n++;
      s.ns += backendNs(pid) - before;
      s.wallNs += Number(process.hrtime.bigint() - t0);
      stats.set(label(args[0]), s);
      roundTrips++;
    };
    // pool.query hands a callback; the activities await a promise.
    const cb = args[args.length - 1];
    if (typeof cb === 'function') {
      return query(...args.slice(0, -1), (err: unknown, res: unknown) => {
        done();
        (cb as (e: unknown, r: unknown) => void)(err, res);
      });
    }
    try {
      return await query(...args);
    } finally {
      done();
    }
  };
  client.release();
  // One connection: the activities' pool.connect() hands back the same (wrapped) client.
  const activities = createTopupPaymentActivities({ pool });

  const pay = async (i: number) => {
    const [walletId, userId] = wallets[i % wallets.length]!;
    const wallet = (await findWallet(pool, envId, walletId, userId))!;
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
  };
  for (let i = 0; i < 200; i++) await pay(i); // warm: plans cached, JIT'd
  for (let r = 0; r < rounds; r++) {
    stats.clear();
    roundTrips = 0;
    const pg0 = backendNs(pid);
    const cpu0 = process.cpuUsage();
    const t0 = Date.now();
    for (let i = 0; i < payments; i++) await pay(i);
    const ms = Date.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    console.log(
      JSON.stringify({
        round: r,
        payments,
        perSecond: Math.round((payments * 1000) / ms),
        postgresUsPerPayment: Math.round((backendNs(pid) - pg0) / payments / 1000),
        appUsPerPayment: Math.round((cpu.user + cpu.system) / payments),
        roundTripsPerPayment: roundTrips / payments,
      }),
    );
  }
  const rows = [...stats].sort((a, b) => b[1].ns - a[1].ns);
  for (const [text, s] of rows) {
    console.log(`${String(Math.round(s.ns / s.n / 1000)).padStart(5)} µs cpu ${String(Math.round(s.wallNs / s.n / 1000)).padStart(5)} µs wall  ×${(s.n / payments).toFixed(2)}  ${text}`);
  }
  await pool.end();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
