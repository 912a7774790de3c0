/**
 * The chaos run's clients: concurrent loops sending money movements over HTTP, each
 * logical request with its own Idempotency-Key, retried with the same key on network
 * errors, 5xx and 429 (as a careful merchant would), until an answer or the attempts
 * run out. Every logical request's final outcome (and what each attempt got) is
 * recorded for the checks.
 *
 * The kinds go out in turn (the next request is of the kind sent least so far), so a
 * run carries about as many of each: the slowest kind (refunds need a paid order
 * first) is not starved by weights.
 */
import { randomInt, randomUUID } from 'node:crypto';

export interface Outcome {
  kind: string;
  key: string;
  body: Record<string, unknown>;
  /** The final answer's status, or gave_up when the last attempt got no HTTP answer. */
  status: number | 'gave_up';
  attempts: number;
  /** What each attempt got: an HTTP status, or `network` (refused, reset, timed out). */
  tries: (number | 'network')[];
  workflowId: string | null;
  response: unknown;
}

export interface Operation {
  kind: string;
  path: string;
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
  /** Checked before each new request: true ends the load early (in-flight requests finish). */
  enough?: () => boolean;
  /** Called with each request's final outcome as it arrives. */
  onOutcome?: (o: Outcome) => void;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
let turn = 0;

async function send(opts: LoadOptions, op: Operation, body: Record<string, unknown>): Promise<Outcome> {
  const key = `chaos-${randomUUID()}`;
  const tries: Outcome['tries'] = [];
  let last: Outcome = { kind: op.kind, key, body, status: 'gave_up', attempts: 0, tries, workflowId: null, response: null };
  while (tries.length < opts.maxAttempts) {
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
      tries.push(res.status);
      last = { ...last, status: res.status, attempts: tries.length, workflowId: res.headers.get('workflow-id'), response };
      if (res.status < 500 && res.status !== 429) return last;
    } catch {
      tries.push('network');
      last = { ...last, status: 'gave_up', attempts: tries.length, workflowId: null, response: null };
    }
    await sleep(Math.min(3_000, 150 * 2 ** tries.length));
  }
  return last;
}

export async function runLoad(opts: LoadOptions): Promise<Outcome[]> {
  const outcomes: Outcome[] = [];
  const deadline = Date.now() + opts.durationMs;
  let started = 0;
  const sent = new Map<string, number>(opts.operations.map((o) => [o.kind, 0]));
  // The kind sent least so far (ties: the first listed) whose body can be made now.
  const next = (): { op: Operation; body: Record<string, unknown> } | null => {
    const order = [...opts.operations].sort((a, b) => sent.get(a.kind)! - sent.get(b.kind)!);
    for (const op of order) {
      const body = op.body((n) => randomInt(n), outcomes);
      if (body) return { op, body };
    }
    return null;
  };
  const loop = async () => {
    while (Date.now() < deadline && started < opts.maxRequests && !opts.enough?.()) {
      const chosen = next();
      if (!chosen) {
        await sleep(5);
        continue;
      }
      started += 1;
      sent.set(chosen.op.kind, sent.get(chosen.op.kind)! + 1);
      const outcome = await send(opts, chosen.op, chosen.body);
      outcomes.push(outcome);
      opts.onOutcome?.(outcome);
    }
  };
  await Promise.all(Array.from({ length: opts.concurrency }, loop));
  return outcomes;
}
