/**
 * The current request's id (and the workflow it started), visible to code deep in a
 * request without passing it through every call: src/temporal/start-workflow.ts reads it
 * to put the request id in the workflow's memo and writes the workflow it started back for
 * the HTTP log line.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

export interface RequestContext {
  requestId: string;
  workflowId?: string;
  workflowType?: string;
}

export const requestContext = new AsyncLocalStorage<RequestContext>();

export function currentRequestId(): string | undefined {
  return requestContext.getStore()?.requestId;
}
