/**
 * The workflow bundle (webpack, through the SDK's bundleWorkflowCode) the worker runs from
 * a prebuilt file, and its fingerprint: what test/histories/workflow-bundle.sha256 holds.
 *
 * Fingerprint = SHA-256 of the bundle's code with its inline source map cut off and this
 * checkout's absolute path replaced by "<root>", so the same sources and the same
 * locked dependencies give the same fingerprint in any worktree, clone or CI folder.
 * It covers everything the workflow sandbox runs: src/workflows/* and whatever they
 * import (domain types erase, domain values stay), the interceptor modules, and the
 * SDK's workflow runtime (an SDK upgrade changes it: replay must be re-proven then too).
 */
import { createHash } from 'node:crypto';
import { bundleWorkflowCode } from '@temporalio/worker';
import { WORKFLOW_INTERCEPTOR_MODULES, WORKFLOWS_PATH } from '../src/worker/workflow-bundle';
import { ROOT } from './stack';

const quiet = { log() {}, info() {}, warn() {}, error: console.error, debug() {}, trace() {} };

/** The bundle the suite's worker, the replay tests and `npm run histories:*` all run. */
export async function buildWorkflowBundle(): Promise<string> {
  const { code } = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, workflowInterceptorModules: WORKFLOW_INTERCEPTOR_MODULES, logger: quiet });
  return code;
}

/** The code the fingerprint is taken of: no source map, no absolute path of this checkout. */
export function normalizedBundle(code: string, root = ROOT): string {
  const withoutMap = code.replace(/\n\/\/# sourceMappingURL=data:[^\n]*\s*$/, '\n');
  return withoutMap.split(root).join('<root>');
}

export function bundleFingerprint(code: string, root = ROOT): string {
  return createHash('sha256').update(normalizedBundle(code, root)).digest('hex');
}
