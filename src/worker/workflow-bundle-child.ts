/**
 * The child process of buildWorkflowBundleInChild (workflow-bundle.ts): receives what to
 * bundle, runs webpack through the SDK's bundleWorkflowCode, sends the code back and exits,
 * taking webpack's memory with it.
 */
import { bundleWorkflowCode } from '@temporalio/worker';
import type { BundleAnswer, BundleRequest } from './workflow-bundle';

const quiet = { log() {}, info() {}, warn() {}, error: console.error, debug() {}, trace() {} };

process.once('message', (request: BundleRequest) => {
  const reply = (answer: BundleAnswer) => process.send!(answer, () => process.disconnect());
  bundleWorkflowCode({ workflowsPath: request.workflowsPath, workflowInterceptorModules: request.interceptorModules, logger: quiet }).then(
    ({ code }) => reply({ code }),
    (err: unknown) => reply({ error: err instanceof Error ? err.stack ?? err.message : String(err) }),
  );
});
