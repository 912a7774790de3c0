/**
 * The read path alone, without Temporal: B0's read route against the API process
 * (src/api/main.ts, the same app the combined process serves; its Temporal connection is
 * lazy and a read never uses it), alternated back to back with CPU per read per process.
 * For finding what a wallet read costs in our process above B0 without starting a
 * Temporal server (ab.ts measures the shipped layout with one).
 *
 *   node --import tsx scripts/bench/read-path.ts [seconds] [rounds] [variant,…]
 *
 * Variants: `b0`, `api` (the API as configured by the environment), `api:KEY=VALUE;…`
 * (the API with those environment variables), `api@.data/dist-x` (the API compiled into
 * another folder of this checkout, e.g. a copy of dist/ from before a change). PAYNOCCHIO_BENCH_DB picks the database
 * (fresh each run). READ_PATH_PROFILE=dir: each server writes a V8 CPU profile there
 * (--cpu-prof) when it stops. READ_PATH_TOGETHER=1: the variants of a round run at the same
 * time, each with its own load (on a shared machine, the steadier comparison of CPU per
 * read). READ_PATH_RATE=n: an open loop at n reads/s per variant instead of 32 connections
 * (every variant then runs at the same rate, so their CPU per read is not skewed by one
 * batching more work per wake-up than the other). Prints one JSON line per variant per round.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { migrate } from '../../src/db/migrate';
import { createPool } from '../../src/db/pool';
import { ROOT, appScript, freePort, nodeScript, pickDatabase, portOpen, spawnPrefixed, stopChild, waitFor } from '../stack';
import { perRequest, snapshot } from './cpu';
import { runLoad } from './load';
import { DEFAULT_LAYOUT } from './run';
import { createBenchEnvironment, seedWallets } from './seed';

function parseVariant(spec: string): { name: string; script: string; env: NodeJS.ProcessEnv; dist?: string } {
  if (spec === 'b0') return { name: spec, script: 'scripts/bench/b0-server.ts', env: {} };
  const [head, rest] = spec.split(':', 2);
  // `api@<dir>`: the API compiled into another folder (a copy of dist/ from another commit, kept inside the checkout so node_modules resolve).
  const [kind, dist] = head!.split('@', 2);
  if (kind !== 'api') throw new Error(`unknown variant ${spec}`);
  const env: NodeJS.ProcessEnv = {};
  for (const pair of (rest ?? '').split(';').filter(Boolean)) {
    const i = pair.indexOf('=');
    env[pair.slice(0, i)] = pair.slice(i + 1);
  }
  return { name: spec, script: 'src/api/main.ts', env, ...(dist ? { dist } : {}) };
}

async function main(): Promise<void> {
  const seconds = Number(process.argv[2] ?? 5);
  const rounds = Number(process.argv[3] ?? 2);
  const variants = (process.argv[4] ?? 'b0,api').split(',').map(parseVariant);
  const database = process.env.PAYNOCCHIO_BENCH_DB ?? 'paynocchio_bench_reads';
  const dataDir = join(ROOT, '.data', database);
  mkdirSync(dataDir, { recursive: true });
  const profileDir = process.env.READ_PATH_PROFILE;
  const together = process.env.READ_PATH_TOGETHER === '1';
  const rate = Number(process.env.READ_PATH_RATE ?? 0) || undefined;
  const db = await pickDatabase(database, { fresh: true, dataDir });
  const pool = createPool(db.url, 4);
  await migrate(pool);
  try {
    const { envId, secret } = await createBenchEnvironment(pool);
    const wallets = await seedWallets(pool, envId, 'main', 1000, dataDir);
    const base: NodeJS.ProcessEnv = {
      ...process.env,
      NODE_ENV: 'production',
      SECRETS_PEPPER: randomBytes(32).toString('hex'),
      DATABASE_URL: db.url,
      // Never reached: the API's client connects lazily and a read starts no workflow.
      TEMPORAL_ADDRESS: '127.0.0.1:1',
      ...DEFAULT_LAYOUT.env,
    };
    const start = async (v: (typeof variants)[number], round: number) => {
      const port = await freePort();
      const env = { ...base, ...v.env, PORT: String(port), HOST: '127.0.0.1' };
      // As the bench runs them: B0 through tsx, the app compiled (processes.ts).
      const [cmd, args] = v.dist
        ? [process.execPath, [join(ROOT, v.dist, v.script.replace(/\.ts$/, '.js'))]]
        : v.script.startsWith('src/') ? appScript(v.script) : nodeScript(v.script);
      // A folder per server: each of its threads (tsx's loader has one) writes a profile.
      const prof = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${join(profileDir, `${round}-${v.name.replace(/[^\w=-]+/g, '_')}`)}`] : [];
      const child: ChildProcess = spawnPrefixed(v.name, cmd, [...prof, ...args], env, true);
      await waitFor(v.name, () => portOpen(port), 60_000, child);
      const load = (durationMs: number) =>
        runLoad({ baseUrl: `http://127.0.0.1:${port}`, secret, envId, kind: 'read', walletsFile: wallets.file, concurrency: 32, durationMs, maxRequests: 1e7, warmupMs: 1000, ...(rate ? { rate } : {}) });
      const measure = async () => {
        const pids = { server: child.pid };
        const before = snapshot(pids, null);
        const r = await load(seconds * 1000);
        const cpu = perRequest(before, snapshot(pids, null), r.sent ?? r.requests);
        return { round, variant: v.name, together: together || undefined, kind: 'read', ...(rate ? { rate } : { conc: 32 }), rps: r.throughput, p50: r.latencyMs.p50, p99: r.latencyMs.p99, errors: r.errors, cpu: { ...cpu, driver: r.driverCpuMsPerRequest } };
      };
      return { child, load, measure };
    };
    for (let round = 1; round <= rounds; round++) {
      // Each round starts with a different variant, so none is always first.
      const order = variants.map((_, i) => variants[(i + round - 1) % variants.length]!);
      if (together) {
        // All variants at once, each with its own load: the same machine moment for each,
        // so their CPU per read compares even while other work comes and goes.
        const servers = await Promise.all(order.map((v) => start(v, round)));
        try {
          await Promise.all(servers.map((s) => s.load(3000))); // JIT, pool connections, auth cache
          for (const line of await Promise.all(servers.map((s) => s.measure()))) console.log(JSON.stringify(line));
        } finally {
          for (const s of servers) await stopChild(s.child);
        }
        continue;
      }
      for (const v of order) {
        const s = await start(v, round);
        try {
          await s.load(3000); // JIT, pool connections, auth cache
          console.log(JSON.stringify(await s.measure()));
        } finally {
          await stopChild(s.child);
        }
      }
    }
  } finally {
    await pool.end();
    await db.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
