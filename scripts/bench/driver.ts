/**
 * The load generator, run as its own process (so its CPU is not the server's event
 * loop): `node --import tsx scripts/bench/driver.ts <spec.json>`. Drives one scenario
 * over HTTP on 127.0.0.1 with undici, bounded by count and time, and prints one line
 * `RESULT {json}`. Bodies vary per request (a random wallet, a fresh product id),
 * which is why this is not autocannon: its percentiles also skip p95.
 *
 * Closed loop (concurrency workers, each sends its next request when the last one
 * answers) measures peak throughput. Open loop (rate) sends at a fixed rate and times
 * each request from when it *should* have been sent, so a stall is not hidden
 * (no coordinated omission): that is the latency-at-half-peak figure.
 */
import { readFileSync } from 'node:fs';
import { Pool } from 'undici';

export type ScenarioKind = 'topup' | 'payment' | 'transfer' | 'read';

export interface DriverSpec {
  baseUrl: string;
  secret: string;
  envId: string;
  kind: ScenarioKind;
  /** JSON file holding [[walletId, userId], ...]; each request picks one (transfers: two) at random. */
  walletsFile: string;
  concurrency: number;
  durationMs: number;
  maxRequests: number;
  /** Open loop at this many requests per second; unset: closed loop. */
  rate?: number;
  /** Requests started during the first warmupMs are sent but not counted. */
  warmupMs: number;
}

export interface DriverResult {
  kind: ScenarioKind;
  skipped?: string;
  requests: number;
  ok: number;
  errors: number;
  statuses: Record<string, number>;
  errorSamples: string[];
  seconds: number;
  throughput: number;
  latencyMs: { p50: number; p95: number; p99: number; max: number; mean: number };
  /** Requests sent in all, warm-up included (what the CPU counters of a scenario cover). */
  sent?: number;
  /** The load generator's own CPU per sent request (process.cpuUsage), ms. */
  driverCpuMsPerRequest?: number;
}

interface Req {
  method: 'GET' | 'POST';
  path: string;
  body?: string;
}

function requestFor(spec: DriverSpec, wallets: [string, string][], seq: number): Req {
  const pick = () => wallets[Math.floor(Math.random() * wallets.length)]!;
  const [walletId, userId] = pick();
  const base = { env_id: spec.envId, user_id: userId, wallet_id: walletId };
  switch (spec.kind) {
    case 'read':
      return { method: 'GET', path: `/wallet/?env_id=${spec.envId}&user_id=${encodeURIComponent(userId)}` };
    case 'topup':
      return { method: 'POST', path: '/wallet/topup/', body: JSON.stringify({ ...base, amount: '1.00' }) };
    case 'payment':
      return { method: 'POST', path: '/wallet/payment/', body: JSON.stringify({ ...base, amount: '0.01', product_id: `bench-${process.pid}-${seq}` }) };
    case 'transfer': {
      let to = pick();
      while (wallets.length > 1 && to[0] === walletId) to = pick();
      return { method: 'POST', path: '/wallet/transfer/', body: JSON.stringify({ ...base, to_wallet_id: to[0], amount: '0.01' }) };
    }
  }
}

function percentile(sorted: Float64Array, p: number): number {
  if (!sorted.length) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

const round = (n: number) => Math.round(n * 100) / 100;

export async function drive(spec: DriverSpec): Promise<DriverResult> {
  const wallets = JSON.parse(readFileSync(spec.walletsFile, 'utf8')) as [string, string][];
  const pool = new Pool(spec.baseUrl, { connections: spec.rate ? 256 : spec.concurrency, pipelining: 1, keepAliveTimeout: 30_000 });
  const headers = { 'content-type': 'application/json', 'x-wallet-signature': spec.secret };
  const statuses: Record<string, number> = {};
  const errorSamples: string[] = [];
  let latencies = new Float64Array(16_384);
  let counted = 0;
  let ok = 0;
  let errors = 0;
  let seq = 0;

  const send = async (r: Req): Promise<{ status: number; text: string }> => {
    const res = await pool.request({ origin: spec.baseUrl, method: r.method, path: r.path, headers, body: r.body });
    const text = await res.body.text();
    return { status: res.statusCode, text };
  };

  if (spec.kind === 'transfer') {
    // Transfers are built in parallel (issue 5): until the route exists, skip, not fail.
    const probe = await send(requestFor(spec, wallets, seq++)).catch((e: Error) => ({ status: 0, text: e.message }));
    if (probe.status === 404 && probe.text.includes('no route')) {
      await pool.close();
      return { kind: spec.kind, skipped: 'endpoint missing', requests: 0, ok: 0, errors: 0, statuses: {}, errorSamples: [], seconds: 0, throughput: 0, latencyMs: { p50: 0, p95: 0, p99: 0, max: 0, mean: 0 } };
    }
  }

  const cpuAtStart = process.cpuUsage();
  const start = performance.now();
  const countFrom = start + spec.warmupMs;
  const deadline = start + spec.warmupMs + spec.durationMs;
  let lastEnd = countFrom;

  const one = async (scheduledAt: number): Promise<void> => {
    const r = requestFor(spec, wallets, seq++);
    let status: number;
    let text = '';
    try {
      ({ status, text } = await send(r));
    } catch (err) {
      status = 0;
      text = (err as Error).message;
    }
    const end = performance.now();
    if (scheduledAt < countFrom) return;
    if (counted === latencies.length) {
      const bigger = new Float64Array(latencies.length * 2);
      bigger.set(latencies);
      latencies = bigger;
    }
    latencies[counted++] = end - scheduledAt;
    lastEnd = Math.max(lastEnd, end);
    statuses[status] = (statuses[status] ?? 0) + 1;
    if (status >= 200 && status < 300) ok++;
    else {
      errors++;
      if (errorSamples.length < 5) errorSamples.push(`${status} ${text.slice(0, 200)}`);
    }
  };

  const more = () => performance.now() < deadline && seq < spec.maxRequests;
  if (spec.rate) {
    const interval = 1000 / spec.rate;
    const inFlight = new Set<Promise<void>>();
    let next = start;
    // As in the closed loop: at least one counted slot, even at a rate slower than the run is long.
    let counted = false;
    const due = () => more() || (!counted && seq < spec.maxRequests);
    while (due()) {
      const now = performance.now();
      if (now < next) {
        await new Promise((r) => setTimeout(r, Math.max(0, next - now)));
        continue;
      }
      // Fire every request that is due (timers are coarse); each is timed from its slot.
      while (next <= performance.now() && due()) {
        counted ||= next >= countFrom;
        const p = one(next).finally(() => inFlight.delete(p));
        inFlight.add(p);
        next += interval;
      }
    }
    await Promise.all(inFlight);
  } else {
    await Promise.all(
      Array.from({ length: spec.concurrency }, async () => {
        // Each connection sends at least one counted request, so a scenario shorter than
        // one answer (a smoke run on a busy machine) still measures something.
        let counted = false;
        while (more() || (!counted && seq < spec.maxRequests)) {
          const at = performance.now();
          counted ||= at >= countFrom;
          await one(at);
        }
      }),
    );
  }
  await pool.close();
  const cpu = process.cpuUsage(cpuAtStart);

  const sorted = latencies.slice(0, counted).sort();
  const seconds = Math.max(0.001, (lastEnd - countFrom) / 1000);
  const mean = counted ? sorted.reduce((s, v) => s + v, 0) / counted : 0;
  return {
    kind: spec.kind,
    requests: counted,
    ok,
    errors,
    statuses,
    errorSamples,
    seconds: round(seconds),
    throughput: round(ok / seconds),
    latencyMs: {
      p50: round(percentile(sorted, 50)),
      p95: round(percentile(sorted, 95)),
      p99: round(percentile(sorted, 99)),
      max: round(percentile(sorted, 100)),
      mean: round(mean),
    },
    sent: seq,
    driverCpuMsPerRequest: round((cpu.user + cpu.system) / 1000 / Math.max(1, seq)),
  };
}

if (require.main === module) {
  const spec = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as DriverSpec;
  drive(spec)
    .then((result) => {
      process.stdout.write('RESULT ' + JSON.stringify(result) + '\n');
    })
    .catch((err) => {
      console.error('driver failed:', err);
      process.exit(1);
    });
}
