/**
 * The reconcile workflow with mocked activities on a local Temporal dev server: it walks
 * every list page by page passing each page's cursor to the next, continues-as-new after
 * `pagesPerRun` pages carrying its state (window, list, cursor, counts), and a page whose
 * activity fails (a worker killed mid-page, Stripe down) is retried from the same cursor:
 * the pages before it are not done again.
 */
import { randomUUID } from 'node:crypto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { temporal } from '@temporalio/proto';
import type { PageCounts, ReconcileList, ReconcilePageResult, ReconcileSummary, ReconcileWindow } from '../../src/domain/reconciliation';
import { quietTemporalRuntime } from '../helpers/runtime';
import { recordHandleHistory } from '../helpers/record-history';
import { readStack } from '../helpers/stack';

const taskQueue = 'reconcile-test';
let env: TestWorkflowEnvironment;
let worker: Worker;
let running: Promise<void>;

/** Each list's pages: the cursor each page answers (null = the list is done). */
const PAGES: Record<ReconcileList, (string | null)[]> = {
  transfers: ['tr_3', 'tr_6', null],
  payouts: ['{"account":"acct_1","after":"po_2"}', null],
  ledger: [null],
};

interface Calls {
  begin: number;
  pages: { list: ReconcileList; cursor: string | null }[];
  finish: { counts: PageCounts; pages: number }[];
  /** Fail the page of this list and cursor this many times before answering. */
  failOnce?: { list: ReconcileList; cursor: string | null; times: number };
}
let calls: Calls;

const window: ReconcileWindow = { runId: '1', since: '2026-01-01T00:00:00.000Z', until: '2026-01-02T00:00:00.000Z', envId: null };

const activities = {
  async beginReconciliation(): Promise<ReconcileWindow> {
    calls.begin++;
    return window;
  },
  async reconcilePage(input: { run: ReconcileWindow; list: ReconcileList; cursor: string | null; limit: number }): Promise<ReconcilePageResult> {
    expect(input.run).toEqual(window);
    const f = calls.failOnce;
    if (f && f.list === input.list && f.cursor === input.cursor && f.times > 0) {
      f.times--;
      throw new Error('worker lost mid-page');
    }
    calls.pages.push({ list: input.list, cursor: input.cursor });
    const pages = PAGES[input.list];
    const index = input.cursor === null ? 0 : pages.indexOf(input.cursor) + 1;
    return { cursor: pages[index]!, examined: 2, matched: 1, opened: 1, resolved: 0 };
  },
  async finishReconciliation(input: { run: ReconcileWindow; counts: PageCounts; pages: number }): Promise<ReconcileSummary> {
    calls.finish.push({ counts: input.counts, pages: input.pages });
    return { ...input.counts, ...input.run, openInScope: input.counts.opened, pages: input.pages };
  },
};

beforeAll(async () => {
  quietTemporalRuntime();
  const stack = readStack();
  env = await TestWorkflowEnvironment.createLocal({ server: { executable: { type: 'existing-path', path: stack.temporalPath } } });
  worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle: { codePath: stack.workflowBundlePath }, activities });
  running = worker.run();
}, 120_000);

afterAll(async () => {
  worker?.shutdown();
  await running;
  await env?.teardown();
});

beforeEach(() => {
  calls = { begin: 0, pages: [], finish: [] };
});

const EXPECTED_PAGES = [
  { list: 'transfers', cursor: null },
  { list: 'transfers', cursor: 'tr_3' },
  { list: 'transfers', cursor: 'tr_6' },
  { list: 'payouts', cursor: null },
  { list: 'payouts', cursor: '{"account":"acct_1","after":"po_2"}' },
  { list: 'ledger', cursor: null },
];

test('walks every list page by page with the cursors, and continues-as-new every 2 pages with its state', async () => {
  const workflowId = `reconcile-test-${randomUUID()}`;
  const handle = await env.client.workflow.start('reconcile', { taskQueue, workflowId, args: [{ pagesPerRun: 2 }] });
  const result: ReconcileSummary = await handle.result(); // follows the continue-as-new chain
  expect(calls.pages).toEqual(EXPECTED_PAGES);
  expect(calls.begin).toBe(1); // the window is fixed once, then carried
  expect(calls.finish).toEqual([{ counts: { examined: 12, matched: 6, opened: 6, resolved: 0 }, pages: 6 }]);
  expect(result).toMatchObject({ runId: '1', pages: 6, examined: 12, opened: 6 });

  // 6 pages, 2 per run: the first run ended by continue-as-new, and the result came from a later run.
  const history = await env.client.workflow.getHandle(workflowId, handle.firstExecutionRunId).fetchHistory();
  expect(history.events!.at(-1)!.eventType).toBe(temporal.api.enums.v1.EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW);
  const latest = await env.client.workflow.getHandle(workflowId).describe();
  expect(latest.runId).not.toBe(handle.firstExecutionRunId);
  expect(latest.status.name).toBe('COMPLETED');
  await recordHandleHistory('reconcile-continued-as-new', { fetchHistory: async () => history });
});

test('a page whose activity fails is retried from its own cursor; the pages before it are not done again', async () => {
  calls.failOnce = { list: 'payouts', cursor: null, times: 2 };
  const result: ReconcileSummary = await env.client.workflow.execute('reconcile', {
    taskQueue,
    workflowId: `reconcile-test-${randomUUID()}`,
    args: [{ pagesPerRun: 50 }],
  });
  expect(calls.pages).toEqual(EXPECTED_PAGES);
  expect(calls.failOnce.times).toBe(0);
  expect(result.pages).toBe(6);
});
