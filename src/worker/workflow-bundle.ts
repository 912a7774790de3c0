/**
 * The workflow bundle a worker runs when no prebuilt one is given (WORKFLOW_BUNDLE_PATH):
 * webpack (the SDK's bundleWorkflowCode) builds it in a short-lived child process
 * (workflow-bundle-child.ts) instead of inside the worker. Webpack's heap at start is the
 * largest allocation a worker makes; built in-process it stays in the worker's resident
 * memory for the life of the process (V8 keeps the pages it grew into), built in a child it
 * leaves with the child (issue 11: peak RSS of the default layout; BENCHMARKS.md).
 * The inputs are those of scripts/workflow-bundle.ts, so the bundle is the one
 * `npm run histories:*` fingerprints (plus OpenTelemetry's interceptors when tracing is on).
 */
import { fork } from 'node:child_process';
import { join, resolve } from 'node:path';

// Compiled to dist/src/worker/ (scripts/build.ts), the bundle is still built from the
// TypeScript sources, so it is the one the recorded histories replay against, not a transpiled copy.
const SOURCES = __filename.endsWith('.js') ? resolve(__dirname, '../../../src') : resolve(__dirname, '..');
export const WORKFLOWS_PATH = join(SOURCES, 'workflows/index.ts');
/** Workflow interceptor modules: a prebuilt bundle must be built with these (bundleWorkflowCode's workflowInterceptorModules). */
export const WORKFLOW_INTERCEPTOR_MODULES = [join(SOURCES, 'workflows/interceptors.ts')];
const OTEL_WORKFLOW_INTERCEPTORS = join(SOURCES, 'workflows/otel-interceptors.ts');

/** The interceptor modules a bundle holds: ours, and OpenTelemetry's when tracing is on. */
export function workflowInterceptorModules(tracing: boolean): string[] {
  return [...WORKFLOW_INTERCEPTOR_MODULES, ...(tracing ? [OTEL_WORKFLOW_INTERCEPTORS] : [])];
}

/** What the parent sends the child, and what the child answers. */
export interface BundleRequest {
  workflowsPath: string;
  interceptorModules: string[];
}
export type BundleAnswer = { code: string } | { error: string };

/** Builds the bundle in a child process and returns its code. */
export function buildWorkflowBundleInChild(tracing: boolean): Promise<string> {
  const child = require.resolve('./workflow-bundle-child');
  // The child runs the way this process does: under tsx from src/, or plain node from compiled JavaScript.
  const execArgv = child.endsWith('.ts') && !process.execArgv.some((a) => a.includes('tsx')) ? [...process.execArgv, '--import', 'tsx'] : process.execArgv;
  const request: BundleRequest = { workflowsPath: WORKFLOWS_PATH, interceptorModules: workflowInterceptorModules(tracing) };
  return new Promise((resolve, reject) => {
    const proc = fork(child, [], { execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let answer: BundleAnswer | undefined;
    proc.once('message', (m) => (answer = m as BundleAnswer));
    proc.once('error', reject);
    proc.once('exit', (code, signal) => {
      if (answer && 'code' in answer) resolve(answer.code);
      else reject(new Error(`workflow bundle build failed (exit ${code ?? signal}): ${answer && 'error' in answer ? answer.error : 'no answer'}`));
    });
    proc.send(request);
  });
}
