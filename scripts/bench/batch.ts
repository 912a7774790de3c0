/**
 * Batches (issue 12, part 4): `items` transfers between random pairs of a wallet set in
 * ONE atomic POST /wallet/batch, `repeats` times one after the other, each timed from
 * request to answer. The bench compares the time of one batch with the time the same
 * number of single transfers take at the `transfer` row's throughput (32 connections)
 * and one at a time (that row's p50 × items). Every batch must answer 200 with every
 * item succeeded; anything else is counted as an error with a sample.
 */
import { readFileSync } from 'node:fs';

export interface BatchBenchResult {
  items: number;
  repeats: number;
  /** Seconds per batch, request to answer. */
  seconds: { p50: number; max: number; mean: number };
  /** Transfers per second inside a batch (items / mean seconds). */
  itemsPerSecond: number;
  errors: number;
  errorSamples: string[];
}

export async function measureBatches(spec: {
  baseUrl: string;
  secret: string;
  envId: string;
  walletsFile: string;
  items: number;
  repeats: number;
}): Promise<BatchBenchResult> {
  const wallets = JSON.parse(readFileSync(spec.walletsFile, 'utf8')) as [string, string][];
  const pick = () => wallets[Math.floor(Math.random() * wallets.length)]!;
  const times: number[] = [];
  const errorSamples: string[] = [];
  let errors = 0;
  for (let r = 0; r < spec.repeats; r++) {
    const items = Array.from({ length: spec.items }, () => {
      const [from, user] = pick();
      let to = pick();
      while (wallets.length > 1 && to[0] === from) to = pick();
      return { type: 'transfer', user_id: user, wallet_id: from, to_wallet_id: to[0], amount: '0.01' };
    });
    const started = performance.now();
    const res = await fetch(`${spec.baseUrl}/wallet/batch/`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-Wallet-Signature': spec.secret },
      body: JSON.stringify({ env_id: spec.envId, atomic: true, items }),
    });
    const text = await res.text();
    times.push((performance.now() - started) / 1000);
    const ok = res.status === 200 && (JSON.parse(text) as { batch?: { succeeded?: number } }).batch?.succeeded === spec.items;
    if (!ok) {
      errors++;
      if (errorSamples.length < 3) errorSamples.push(`${res.status} ${text.slice(0, 200)}`);
    }
  }
  const sorted = [...times].sort((a, b) => a - b);
  const round = (n: number) => Math.round(n * 1000) / 1000;
  const mean = times.reduce((s, t) => s + t, 0) / Math.max(1, times.length);
  return {
    items: spec.items,
    repeats: spec.repeats,
    seconds: { p50: round(sorted[Math.floor((sorted.length - 1) / 2)] ?? 0), max: round(sorted.at(-1) ?? 0), mean: round(mean) },
    itemsPerSecond: mean > 0 ? Math.round((spec.items / mean) * 10) / 10 : 0,
    errors,
    errorSamples,
  };
}
