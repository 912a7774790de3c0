/**
 * The chaos run's clients: concurrent loops sending money movements over HTTP, each
 * logical request with its own Idempotency-Key, retried with the same key on network
 * errors, 5xx and 429 (as a careful merchant would), until an answer or the attempts
 * run out. Every logical request's final outcome is recorded for the checks.
 */
import { randomInt, randomUUID } from 'node:crypto';

export interface Outcome {
  kind: string;
  key: string;
  body: Record<string, unknown>;
  status: number | 'gave_up';
  attempts: number;
  workflowId: string | null;
  response: unknown;
}

export interface Operation {
  kind: string;
  path: string;
  weight: number;
  /** The next request's body, or null to skip (e.g. a refund with no paid order yet). */
  body(pick: (n: number) => number, done: Outcome[]): Record<string, unknown> | null;
}

export interface LoadOptions {
  /** One API, or several: each attempt goes to the next in turn (a retry reaches another process). */
  baseUrls: string[];
  secret: string;
  operations: Operation[];
  concurrency: number;
  durationMs: number;
  maxRequests: number;
  maxAttempts: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
let turn = 0;

async function send(opts: LoadOptions, op: Operation, body: Record<string, unknown>): Promise<Outcome> {
  const key = `chaos-${randomUUID()}`;
  let attempts = 0;
  let last: Outcome = { kind: op.kind, key, body, status: 'gave_up', attempts, workflowId: null, response: null };
  while (attempts < opts.maxAttempts) {
    attempts += 1;
    try {
      const baseUrl = opts.baseUrls[turn++ % opts.baseUrls.length]!;
      const res = await fetch(baseUrl + op.path, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'X-Wallet-Signature': opts.secret, 'Idempotency-Key': key },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(40_000),
      });
      const text = await res.text();
      let response: unknown = text;
      try {
        response = JSON.parse(text);
      } catch {
        // keep the text
      }
      last = { kind: op.kind, key, body, status: res.status, attempts, workflowId: res.headers.get('workflow-id'), response };
      if (res.status < 500 && res.status !== 429) return last;
    } catch {
      last = { ...last, status: 'gave_up', attempts };
    }
    await sleep(Math.min(3_000, 150 * 2 ** attempts));
  }
  return last;
}

export async function runLoad(opts: LoadOptions): Promise<Outcome[]> {
  const outcomes: Outcome[] = [];
  const deadline = Date.now() + opts.durationMs;
  let started = 0;
  const totalWeight = opts.operations.reduce((s, o) => s + o.weight, 0);
  // Every kind goes out once first, then by weight: a short run on a loaded machine (a
  // few dozen requests) still carries each kind, the poison ones included.
  let seeded = 0;
  const pickOp = () => {
    if (seeded < opts.operations.length) return opts.operations[seeded++]!;
    let r = randomInt(totalWeight);
    for (const op of opts.operations) {
      if ((r -= op.weight) < 0) return op;
    }
    return opts.operations[0]!;
  };
  const loop = async () => {
    while (Date.now() < deadline && started < opts.maxRequests) {
      const op = pickOp();
      const body = op.body((n) => randomInt(n), outcomes);
      if (!body) {
        await sleep(5);
        continue;
      }
      started += 1;
      outcomes.push(await send(opts, op, body));
    }
  };
  await Promise.all(Array.from({ length: opts.concurrency }, loop));
  return outcomes;
}
