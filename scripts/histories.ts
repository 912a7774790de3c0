/**
 * Recorded workflow histories (test/histories/*.json) and the fingerprint of the workflow
 * bundle they were last proven against (test/histories/workflow-bundle.sha256).
 *
 *   npm run histories:record [-- test/workflows/withdraw.test.ts ...]
 *       1. builds the workflow bundle and replays EVERY history against it; any failure
 *          stops here (the change breaks workflows already running: put it behind patched());
 *       2. re-records: runs, with RECORD_HISTORIES=1, every test file that records a history
 *          (those calling recordHistory / recordHandleHistory, test/helpers/record-history.ts)
 *          on a stack of its own (type-check, then jest with its global setup, as scripts/test.sh;
 *          test database paynocchio_test_histories unless PAYNOCCHIO_TEST_DB says otherwise). All or nothing: if a test fails, every
 *          history is put back as it was and the fingerprint is left alone. Naming test
 *          files records only theirs (quicker, for a new branch), still all or nothing;
 *       3. a re-recorded history that now takes another set of patched() branches than its
 *          previous recording keeps that recording as `<name>.pre-<old fingerprint>.json`, so the
 *          old path stays replayed for workflows still running on it;
 *       4. replays everything again and writes the fingerprint.
 *   npm run histories:fingerprint -- --reason "<why no re-recording is needed>"
 *       replays every history against the current bundle and, when all pass, rewrites the
 *       fingerprint only, with the reason (e.g. a new branch behind patched() whose history a
 *       test records next time, or a change the histories do not reach: a query handler).
 *   npm run histories:check
 *       replays every history and compares the fingerprint, as the replay test does.
 *
 * Histories that no test records (payment.json, payment-insufficient-funds.json, topup.json:
 * recorded by an earlier scripts/record-histories.ts against the code of their time) are
 * never rewritten: they are the proof that the paths before a patch still replay.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { ROOT } from './stack';
import { buildWorkflowBundle, bundleFingerprint } from './workflow-bundle';

export const HISTORIES_DIR = join(ROOT, 'test/histories');
export const FINGERPRINT_FILE = join(HISTORIES_DIR, 'workflow-bundle.sha256');

export function historyFiles(): string[] {
  return readdirSync(HISTORIES_DIR).filter((f) => f.endsWith('.json')).sort();
}

export interface Fingerprint {
  sha256: string;
  by: 'record' | 'fingerprint';
  reason: string | null;
}

export function readFingerprint(file = FINGERPRINT_FILE): Fingerprint | null {
  if (!existsSync(file)) return null;
  const fields = new Map<string, string>();
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const m = /^(sha256|by|reason) (.*)$/.exec(line.trim());
    if (m) fields.set(m[1]!, m[2]!);
  }
  const sha256 = fields.get('sha256');
  if (!sha256 || !/^[0-9a-f]{64}$/.test(sha256)) return null;
  return { sha256, by: fields.get('by') === 'fingerprint' ? 'fingerprint' : 'record', reason: fields.get('reason') ?? null };
}

export function writeFingerprint(fp: Fingerprint, file = FINGERPRINT_FILE): void {
  writeFileSync(
    file,
    [
      '# The workflow bundle (scripts/workflow-bundle.ts) every history here was last replayed against.',
      '# test/workflows/replay.test.ts fails when today\'s bundle differs. Rewritten only by',
      '# `npm run histories:record` (re-records, then writes it) or',
      '# `npm run histories:fingerprint -- --reason "..."` (after a patched() change; see ARCHITECTURE.md, Replay).',
      `sha256 ${fp.sha256}`,
      `by ${fp.by}`,
      ...(fp.reason ? [`reason ${fp.reason.replace(/\s+/g, ' ').trim()}`] : []),
      '',
    ].join('\n'),
  );
}

/** The patch ids (patched() / deprecatePatch()) a history's markers record, sorted. */
export function patchesOf(json: { events?: { markerRecordedEventAttributes?: { markerName?: string; details?: Record<string, { payloads?: { data?: string }[] }> } }[] }): string[] {
  const ids = new Set<string>();
  for (const e of json.events ?? []) {
    const marker = e.markerRecordedEventAttributes;
    if (marker?.markerName !== 'core_patch') continue;
    const data = marker.details?.['patch-data']?.payloads?.[0]?.data;
    if (!data) continue;
    const decoded = JSON.parse(Buffer.from(data, 'base64').toString('utf8')) as { id?: string };
    if (decoded.id) ids.add(decoded.id);
  }
  return [...ids].sort();
}

/** Test files that record histories: they call recordHistory or recordHandleHistory. */
export function recordingTestFiles(): string[] {
  const found: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.test.ts') && /\brecord(Handle)?History\(/.test(readFileSync(path, 'utf8'))) found.push(relative(ROOT, path));
    }
  };
  walk(join(ROOT, 'test'));
  return found.sort();
}

export interface ReplayFailure {
  file: string;
  error: string;
}

/** Replays the named histories against bundle code; the ones that fail, with why. */
export async function replayAll(code: string, files = historyFiles()): Promise<ReplayFailure[]> {
  const histories = files.map((file) => ({ workflowId: file, history: historyFromJSON(JSON.parse(readFileSync(join(HISTORIES_DIR, file), 'utf8'))) }));
  const failures: ReplayFailure[] = [];
  for await (const result of Worker.runReplayHistories({ workflowBundle: { code } }, histories)) {
    if (result.error) failures.push({ file: result.workflowId, error: result.error.message.slice(0, 400) });
  }
  return failures;
}

function quietRuntime(): void {
  try {
    Runtime.install({ logger: new DefaultLogger('ERROR') });
  } catch {
    // already installed
  }
}

function snapshot(): Map<string, string> {
  return new Map(historyFiles().map((f) => [f, readFileSync(join(HISTORIES_DIR, f), 'utf8')]));
}

function restore(before: Map<string, string>): void {
  for (const f of historyFiles()) if (!before.has(f)) rmSync(join(HISTORIES_DIR, f));
  for (const [f, text] of before) writeFileSync(join(HISTORIES_DIR, f), text);
}

function fail(message: string): never {
  console.error(`[histories] ${message}`);
  process.exit(1);
}

async function replayOrFail(code: string, when: string): Promise<void> {
  const files = historyFiles();
  const failures = await replayAll(code, files);
  if (failures.length) {
    for (const f of failures) console.error(`[histories] ${f.file}: ${f.error}`);
    fail(
      `${failures.length} of ${files.length} histories do not replay ${when}. The workflow change breaks workflows that ` +
        'are already running: put the new command sequence behind patched() (ARCHITECTURE.md, Replay), then run this again.',
    );
  }
  console.log(`[histories] ${files.length} histories replay ${when}`);
}

async function record(only: string[]): Promise<void> {
  const previous = readFingerprint();
  const code = await buildWorkflowBundle();
  const sha256 = bundleFingerprint(code);
  await replayOrFail(code, 'against the current workflow code (before re-recording)');

  const all = recordingTestFiles();
  const unknown = only.filter((f) => !all.includes(f));
  if (unknown.length) fail(`not a test file that records histories: ${unknown.join(', ')} (they are: ${all.join(' ')})`);
  const files = only.length ? only : all;
  console.log(`[histories] re-recording with: ${files.join(' ')}`);
  const before = snapshot();
  // What scripts/test.sh does, less what recording does not need (the real Temporal
  // server's build, Chromium, Python): the pinned CLI and stripe-mock, a type-check, jest.
  const env = { ...process.env, RECORD_HISTORIES: '1', PAYNOCCHIO_TEST_DB: process.env.PAYNOCCHIO_TEST_DB ?? 'paynocchio_test_histories' };
  let run = spawnSync('bash', ['scripts/install-tools.sh'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'], env });
  if (run.status === 0) run = spawnSync('npx', ['tsc', '--noEmit', '-p', 'tsconfig.json'], { cwd: ROOT, stdio: 'inherit', env });
  if (run.status === 0) run = spawnSync('npx', ['jest', ...files], { cwd: ROOT, stdio: 'inherit', env });
  if (run.status !== 0) {
    restore(before);
    fail(`the recording tests failed (exit ${run.status}): every history is back as it was, the fingerprint unchanged. Fix them and run this again.`);
  }

  const after = snapshot();
  const tag = previous ? previous.sha256.slice(0, 12) : 'unfingerprinted';
  const rewritten: string[] = [];
  const added: string[] = [];
  const kept: string[] = [];
  for (const [file, text] of after) {
    const old = before.get(file);
    if (old === undefined) {
      added.push(file);
      continue;
    }
    if (old === text) continue;
    rewritten.push(file);
    const [oldPatches, newPatches] = [patchesOf(JSON.parse(old)), patchesOf(JSON.parse(text))];
    if (oldPatches.join() !== newPatches.join()) {
      const keptAs = file.replace(/\.json$/, `.pre-${tag}.json`);
      writeFileSync(join(HISTORIES_DIR, keptAs), old);
      kept.push(`${keptAs} (patches [${oldPatches.join(', ')}] → [${newPatches.join(', ')}])`);
    }
  }
  const untouched = [...before.keys()].filter((f) => before.get(f) === after.get(f));
  await replayOrFail(code, 'after re-recording');
  writeFingerprint({ sha256, by: 'record', reason: null });
  console.log(`[histories] re-recorded ${rewritten.length}, new ${added.length}${added.length ? `: ${added.join(', ')}` : ''}`);
  if (kept.length) console.log(`[histories] previous recordings kept (another set of patched() branches):\n  ${kept.join('\n  ')}`);
  console.log(`[histories] not rewritten by this run (kept as they are): ${untouched.length}`);
  console.log(`[histories] ${historyFiles().length} histories; fingerprint ${sha256} written to ${relative(ROOT, FINGERPRINT_FILE)}`);
}

async function fingerprintOnly(reason: string | undefined): Promise<void> {
  if (!reason || reason.trim().length < 10) {
    fail('say why no history needs re-recording: npm run histories:fingerprint -- --reason "<why>" (kept in the fingerprint file)');
  }
  const code = await buildWorkflowBundle();
  await replayOrFail(code, 'against the current workflow code');
  const sha256 = bundleFingerprint(code);
  writeFingerprint({ sha256, by: 'fingerprint', reason });
  console.log(`[histories] fingerprint ${sha256} written (${reason.trim()})`);
}

async function check(): Promise<void> {
  const code = await buildWorkflowBundle();
  await replayOrFail(code, 'against the current workflow code');
  const stored = readFingerprint();
  const sha256 = bundleFingerprint(code);
  if (stored?.sha256 !== sha256) fail(`the workflow bundle is ${sha256}, the histories were proven against ${stored?.sha256 ?? 'nothing'}: npm run histories:record`);
  console.log(`[histories] fingerprint ${sha256} matches`);
}

async function main(): Promise<void> {
  process.chdir(ROOT); // webpack names modules relative to the working directory
  mkdirSync(HISTORIES_DIR, { recursive: true });
  quietRuntime();
  const [command, ...rest] = process.argv.slice(2);
  const reasonAt = rest.indexOf('--reason');
  const reason = reasonAt >= 0 ? rest[reasonAt + 1] : undefined;
  if (command === 'record') await record(rest.filter((a) => !a.startsWith('--')));
  else if (command === 'fingerprint') await fingerprintOnly(reason);
  else if (command === 'check') await check();
  else fail('usage: node --import tsx scripts/histories.ts record [test files] | fingerprint --reason "<why>" | check');
}

if (require.main === module) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
