/**
 * The current request's id (and the workflow it started), visible to code deep in a
 * request without passing it through every call: runMovement reads it to put the
 * request id in the workflow's memo, and the HTTP log line reads the workflow id back.
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
