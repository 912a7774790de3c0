/**
 * Workflow interceptors (run inside the workflow sandbox; bundled with the workflows,
 * see WORKFLOW_INTERCEPTOR_MODULES in src/worker/worker.ts). They carry the API
 * request id, which the API put in the workflow's memo, into every activity as a
 * header and into the workflow's own log lines. Reading the memo is deterministic:
 * it is part of the workflow's start event.
 */
import { defaultPayloadConverter, workflowInfo, type WorkflowInterceptorsFactory } from '@temporalio/workflow';

export const REQUEST_ID_HEADER = 'paynocchio-request-id';

function requestId(): string | undefined {
  const value = workflowInfo().memo?.requestId;
  return typeof value === 'string' ? value : undefined;
}

export const interceptors: WorkflowInterceptorsFactory = () => ({
  outbound: [
    {
      async scheduleActivity(input, next) {
        const id = requestId();
        return next(id ? { ...input, headers: { ...input.headers, [REQUEST_ID_HEADER]: defaultPayloadConverter.toPayload(id) } } : input);
      },
      async scheduleLocalActivity(input, next) {
        const id = requestId();
        return next(id ? { ...input, headers: { ...input.headers, [REQUEST_ID_HEADER]: defaultPayloadConverter.toPayload(id) } } : input);
      },
      getLogAttributes(input, next) {
        const id = requestId();
        return next(id ? { ...input, requestId: id } : input);
      },
    },
  ],
});
