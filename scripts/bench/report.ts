/**
 * Results → BENCHMARKS.md (tables + targets judged "met"/"missed") and the raw JSON
 * under bench/results/. The hand-written reading between the `<!-- reading -->`
 * markers of an existing BENCHMARKS.md is kept across runs.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BenchResults, ScenarioRecord } from './run';

export interface Target {
  name: string;
  target: string;
  figure: string;
  met: boolean | null;
  why?: string;
}

const find = (r: BenchResults, id: string) => r.scenarios.find((s) => s.id === id && !s.result.skipped);
const tp = (s: ScenarioRecord | undefined) => s?.result.throughput ?? 0;
const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

function rssOf(s: ScenarioRecord): number | null {
  if (s.rssMb.combined !== null) return s.rssMb.combined;
  if (s.rssMb.api === null && s.rssMb.worker === null) return null;
  return (s.rssMb.api ?? 0) + (s.rssMb.worker ?? 0);
}

/** Issue 11's "today" column: the payment rate on 1,000 wallets before it (two processes, 2026-11-27). */
const PAYMENTS_BEFORE_ISSUE_11 = 35.75;

/** The issue's targets (ISSUE11.md), judged on the default layout's rows (run.ts DEFAULT_LAYOUT). */
export function judge(r: BenchResults): Target[] {
  const out: Target[] = [];
  const b0 = find(r, 'b0-payment');
  const pay = find(r, 'payment');
  if (b0 && pay) {
    const ratio = tp(pay) / tp(b0);
    out.push({
      name: 'payments through workflows / B0 payments (default layout)',
      target: '≥ 35%, and ≥ 150 payments/s',
      figure: `${tp(pay)}/s vs ${tp(b0)}/s = ${pct(ratio)}`,
      met: ratio >= 0.35 && tp(pay) >= 150,
    });
  }
  const half = find(r, 'payment-half-rate');
  if (half) {
    out.push({
      name: `sync payment latency at half the peak rate (${half.rate}/s)`,
      target: 'p50 ≤ 25 ms, p99 ≤ 100 ms',
      figure: `p50 ${half.result.latencyMs.p50} ms, p99 ${half.result.latencyMs.p99} ms`,
      met: half.result.latencyMs.p50 <= 25 && half.result.latencyMs.p99 <= 100,
    });
  }
  const seq = find(r, 'payment-sequential');
  if (seq) {
    const b0seq = find(r, 'b0-payment-sequential');
    out.push({
      name: 'one payment at a time (sequential, 1 client), p50',
      target: '≤ 20 ms',
      figure: `p50 ${seq.result.latencyMs.p50} ms, p99 ${seq.result.latencyMs.p99} ms` + (b0seq ? ` (B0: p50 ${b0seq.result.latencyMs.p50} ms)` : ''),
      met: seq.result.latencyMs.p50 <= 20,
    });
  }
  const read = find(r, 'read');
  const b0read = find(r, 'b0-read');
  if (read && b0read) {
    const ratio = tp(read) / tp(b0read);
    out.push({ name: 'wallet reads / B0 reads, rate limiting on', target: '≥ 90%', figure: `${tp(read)}/s vs ${tp(b0read)}/s = ${pct(ratio)}`, met: ratio >= 0.9 });
  }
  const ceiling = Array.isArray(r.pgbench) ? r.pgbench.find((p) => p.name.includes('random')) : undefined;
  if (b0 && ceiling) {
    const ratio = tp(b0) / ceiling.tps;
    out.push({ name: 'B0 payments / pgbench one-row-update ceiling', target: '≥ 10%', figure: `${tp(b0)}/s vs ${ceiling.tps} tps = ${pct(ratio)}`, met: ratio >= 0.1 });
  }
  const hot = find(r, 'payment-hot');
  if (pay && hot) {
    const ratio = tp(hot) / Math.max(0.001, tp(pay));
    const rise = tp(pay) / PAYMENTS_BEFORE_ISSUE_11;
    out.push({
      name: 'payments on one hot wallet / on 1,000 wallets (workflows)',
      target: `≥ 0.8, while the 1,000-wallet rate rises 4× (from ${PAYMENTS_BEFORE_ISSUE_11}/s)`,
      figure: `${tp(hot)}/s vs ${tp(pay)}/s = ${ratio.toFixed(2)}; 1,000-wallet rate ${rise.toFixed(2)}×`,
      met: ratio >= 0.8 && rise >= 4,
    });
  }
  const shipped = r.scenarios.filter((s) => s.group === 'workflow' || s.group === 'scale').map(rssOf).filter((x): x is number => x !== null);
  if (shipped.length) {
    const peak = Math.max(...shipped);
    out.push({ name: 'peak RSS of the default layout', target: '≤ 400 MB', figure: `${peak} MB`, met: peak <= 400 });
  }
  if (r.history) {
    const ks = r.history.pages.map((p) => p.keysetMs.p50);
    const flat = Math.max(...ks) <= Math.max(1, 3 * Math.min(...ks));
    out.push({
      name: `history keyset pages at ${r.history.postings.toLocaleString('en')} postings`,
      target: 'flat with depth',
      figure: r.history.pages.map((p) => `depth ${p.depth.toLocaleString('en')}: ${p.keysetMs.p50} ms`).join(', '),
      met: flat,
    });
    const plans = r.history.plans ?? [];
    const onIndex = plans.filter((p) => /Index Scan using ledger_postings_wallet on ledger_postings/.test(p.plan));
    out.push({
      name: 'history pages (dense and sparse wallet) read the (wallet_id, id) index',
      target: 'every plan',
      figure: `${onIndex.length} of ${plans.length} plans`,
      met: plans.length > 0 && onIndex.length === plans.length,
    });
  }
  const single = r.scenarios.find((s) => s.id === 'transfer');
  if (r.batches && single && single.result.throughput > 0) {
    const b = r.batches;
    const singles = b.items / single.result.throughput;
    out.push({
      name: `${b.items.toLocaleString('en')} transfers in one atomic batch / as single requests (32 conc.)`,
      target: 'well under (≤ 25%)',
      figure:
        `${b.seconds.p50} s (p50 of ${b.repeats}; ${b.itemsPerSecond}/s) vs ${Math.round(singles * 100) / 100} s at ${single.result.throughput}/s ` +
        `= ${Math.round((b.seconds.p50 / singles) * 1000) / 10}%; one at a time ${Math.round(b.items * single.result.latencyMs.p50) / 1000} s` +
        (b.errors ? `, ${b.errors} errors (${b.errorSamples[0] ?? ''})` : ''),
      met: b.errors === 0 && b.seconds.p50 <= 0.25 * singles,
    });
  }
  for (const e of r.exports ?? []) {
    out.push({
      name: `admin export postings (${e.format}): ${e.rows.toLocaleString('en')} postings`,
      target: 'every posting, bounded memory (peak RSS ≤ 200 MB)',
      figure: `${e.seconds} s, ${Math.round(e.bytes / 1e6)} MB written, peak RSS ${e.peakRssMb ?? '–'} MB${e.exitCode === 0 ? '' : `, exit ${e.exitCode}`}`,
      met: e.exitCode === 0 && e.rows >= (r.history?.walletPostings ?? 0) && e.peakRssMb !== null && e.peakRssMb <= 200,
    });
  }
  return out;
}

/** CPU ms per request: the app's processes (api + worker, or the one process, or B0), Temporal, Postgres, load generator. */
function cpuCell(s: ScenarioRecord): string {
  const c = s.cpuMsPerRequest;
  if (!c) return '–';
  const f = (x: number | null | undefined) => (x === null || x === undefined ? '–' : x.toFixed(2));
  const app =
    c.b0 ?? c.combined ?? (c.api === null && c.worker === null ? null : (c.api ?? 0) + (c.worker ?? 0));
  const split = c.api !== null && c.api !== undefined && c.worker !== null && c.worker !== undefined ? ` (${f(c.api)}+${f(c.worker)})` : '';
  return `${f(app)}${split} · ${f(c.temporal)} · ${f(c.postgres)} · ${f(c.driver)}`;
}

/** The B0 row a workflow-path row compares with: the same kind of request (a hot-wallet payment with B0's hot wallet). */
function b0Counterpart(r: BenchResults, s: ScenarioRecord): ScenarioRecord | undefined {
  if (s.kind === 'read') return find(r, 'b0-read');
  if (s.kind === 'topup') return find(r, 'b0-topup');
  if (s.concurrency === 1) return find(r, 'b0-payment-sequential');
  if (s.wallets === 1) return find(r, 'b0-payment-hot');
  return find(r, 'b0-payment');
}

function scenarioTable(rows: ScenarioRecord[], ratioTo?: (s: ScenarioRecord) => ScenarioRecord | undefined): string {
  const withRatioTo = Boolean(ratioTo);
  const head =
    '| scenario | setup | wallets | load | req/s | p50 ms | p95 ms | p99 ms | errors / requests | RSS MB (api+worker or one process) | CPU ms per request: app · Temporal · Postgres · load |' +
    (withRatioTo ? ' / B0 of the same kind |' : '');
  const sep = '|' + ' --- |'.repeat(withRatioTo ? 12 : 11);
  const lines = rows.map((s) => {
    const r = s.result;
    const load = s.rate ? `open loop ${s.rate}/s` : `${s.concurrency} conc.`;
    if (r.skipped) return `| ${s.title} | ${s.setup} | ${s.wallets} | ${load} | skipped: ${r.skipped} | | | | | | |` + (withRatioTo ? ' |' : '');
    const rss = s.rssMb.b0 ?? rssOf(s);
    const base = ratioTo && !s.rate ? ratioTo(s) : undefined;
    const ratio = base ? ` ${pct(r.throughput / Math.max(0.001, base.result.throughput))} |` : withRatioTo ? ' |' : '';
    return `| ${s.title} | ${s.setup} | ${s.wallets.toLocaleString('en')} | ${load} | ${r.throughput} | ${r.latencyMs.p50} | ${r.latencyMs.p95} | ${r.latencyMs.p99} | ${r.errors} / ${r.requests} | ${rss ?? '–'} | ${cpuCell(s)} |${ratio}`;
  });
  return [head, sep, ...lines].join('\n');
}

export function renderMarkdown(r: BenchResults, jsonPath: string, previous: string | null): string {
  const m = r.machine;
  const targets = judge(r);
  const group = (g: ScenarioRecord['group']) => r.scenarios.filter((s) => s.group === g);
  const reading = previous?.match(/<!-- reading -->[\s\S]*?<!-- \/reading -->/)?.[0] ?? '<!-- reading -->\n(no reading written yet)\n<!-- /reading -->';
  const pg = Array.isArray(r.pgbench)
    ? ['| transaction | clients | seconds | tps | latency avg ms |', '| --- | --- | --- | --- | --- |', ...r.pgbench.map((p) => `| ${p.name} | ${p.clients} | ${p.seconds} | ${p.tps} | ${p.latencyAvgMs} |`)].join('\n')
    : `skipped: ${r.pgbench.skipped}`;
  const hist = r.history
    ? [
        `${r.history.postings.toLocaleString('en')} postings in the table, ${r.history.walletPostings.toLocaleString('en')} of them on the dense wallet read, ${(r.history.sparsePostings ?? 0).toLocaleString('en')} on a sparse wallet spread evenly among them. Query: the route's own statement (\`WALLET_MOVEMENTS_SQL\`, src/db/queries/history.ts: postings joined to their transactions, \`where wallet_id = $1 and id < $cursor order by id desc limit 50\`).`,
        '',
        '| wallet | depth (postings already read) | keyset p50 ms | keyset p99 ms | OFFSET p50 ms (for contrast) |',
        '| --- | --- | --- | --- | --- |',
        ...r.history.pages.map((p) => `| dense | ${p.depth.toLocaleString('en')} | ${p.keysetMs.p50} | ${p.keysetMs.p99} | ${p.offsetMs ? p.offsetMs.p50 : '–'} |`),
        ...(r.history.sparsePages ?? []).map((p) => `| sparse | ${p.depth.toLocaleString('en')} | ${p.keysetMs.p50} | ${p.keysetMs.p99} | ${p.offsetMs ? p.offsetMs.p50 : '–'} |`),
        '',
        ...(r.history.plans ?? [{ name: 'dense wallet, first page', plan: r.history.plan }]).flatMap(({ name, plan }) => [`Plan, ${name} (EXPLAIN ANALYZE, BUFFERS):`, '', '```', plan, '```', '']),
      ].join('\n')
    : 'not run';
  return `# Benchmarks

\`npm run bench\` (\`-- --quick\` for a shorter pass) starts its own stack (database \`paynocchio_bench\`,
a Temporal dev server on free ports with its SQLite file in \`.data/bench/\`), seeds its own
environment and wallets with SQL, and drives each scenario over HTTP on 127.0.0.1 from a
separate load process (scripts/bench/driver.ts, undici; closed loop = N concurrent
connections, open loop = a fixed rate timed from each request's slot). Everything below
was generated by scripts/bench/report.ts from [${jsonPath}](${jsonPath}), except the reading.

## This run

| | |
| --- | --- |
| date | ${m.date} |
| profile | ${r.profile} |
| machine | ${m.cpuModel}, ${m.cores} cores, ${m.memoryGb} GB |
| load when it started | ${m.uptime ?? m.loadAvg.join(', ')} |
| node / Temporal SDK / CLI | ${m.node} / ${m.temporalSdk} / ${m.temporalCli ?? '?'} |
| postgres | ${m.postgres ?? '?'} |
| seeding | ${Object.entries(r.seedSeconds).map(([k, v]) => `${k}: ${v} s`).join('; ')} |

Every part (Postgres, Temporal, API, worker, load generator) shares the same cores, so
the load generator's own CPU is part of every figure, the same for B0 and the workflow path.

## Targets

| target | wanted | this run | |
| --- | --- | --- | --- |
${targets.map((t) => `| ${t.name} | ${t.target} | ${t.figure} | ${t.met === null ? '–' : t.met ? 'met' : '**missed**'} |`).join('\n')}

## Baselines (B0: the same activity code behind a plain route, no Temporal)

${scenarioTable(group('baseline'))}

Ceiling, pgbench on the same Postgres:

${pg}

## Workflow path (the default layout, as \`npm run dev\`, docker-compose.yml and the README's production notes run it)

${scenarioTable(group('workflow'), (s) => b0Counterpart(r, s))}

## Levers (payments over ${r.scenarios.find((s) => s.group === 'lever')?.wallets ?? '–'} wallets, each lever alone)

${scenarioTable(group('lever'), (s) => b0Counterpart(r, s))}

Each lever row is the default layout with one thing changed (or the two-process layout
of before issue 11). CPU per request is each process's own counter (\`/proc/<pid>/stat\`
utime + stime; Postgres: the backends of the bench database; load: the driver's
\`process.cpuUsage\`) over the scenario, warm-up included, divided by the requests sent.

## How cost grows

${scenarioTable([...r.scenarios.filter((s) => s.id === 'payment' || s.id === 'read'), ...group('scale')].sort((a, b) => a.kind.localeCompare(b.kind) || a.wallets - b.wallets))}

### History reads

${hist}

## Reading

${reading}
`;
}

/** variant (e.g. `temporal-postgres`): its own JSON suffix and bench/BENCHMARKS-<variant>.md, BENCHMARKS.md untouched. */
export function writeResults(root: string, r: BenchResults, variant?: string): { json: string; markdown: string } {
  const dir = join(root, 'bench/results');
  mkdirSync(dir, { recursive: true });
  const stamp = r.machine.date.replace(/[:]/g, '-').replace(/\..+$/, '');
  const json = `bench/results/${stamp}${r.profile === 'full' ? '' : '-' + r.profile}${variant ? '-' + variant : ''}.json`;
  writeFileSync(join(root, json), JSON.stringify({ ...r, targets: judge(r) }, null, 2) + '\n');
  const markdown = variant ? `bench/BENCHMARKS-${variant}.md` : 'BENCHMARKS.md';
  const mdPath = join(root, markdown);
  const previous = existsSync(mdPath) ? readFileSync(mdPath, 'utf8') : null;
  const rendered = renderMarkdown(r, variant ? `results/${json.slice('bench/results/'.length)}` : json, previous);
  const note = variant
    ? `> Variant \`${variant}\` (\`npm run bench -- --temporal=postgres\`): the rows below ran on the real Temporal server with\n> Postgres persistence (databases \`paynocchio_bench_temporal\`, \`…_visibility\`), not on the dev server the text\n> names; the SQLite levers (no-WAL, in-memory) still start dev servers of their own. The default layout's figures\n> are in [BENCHMARKS.md](../BENCHMARKS.md); the capacity model built on this server is [docs/scaling.md](../docs/scaling.md).\n\n`
    : '';
  writeFileSync(mdPath, variant ? rendered.replace(/^(# .*\n\n)/, `$1${note}`) : rendered);
  return { json, markdown };
}
