/**
 * Activity interceptors (worker side): read the request id header the workflow
 * interceptors set, add it (and the workflow id) to every activity log line, time
 * each execution into the activity histogram, and log one line per execution.
 */
import { Context } from '@temporalio/activity';
import { defaultPayloadConverter } from '@temporalio/common';
import type { ActivityInboundCallsInterceptor, ActivityInterceptors } from '@temporalio/worker';
import type { Logger } from '../observability/logger';
import { activityExecutions } from '../observability/metrics';
import { REQUEST_ID_HEADER } from '../workflows/interceptors';

export function activityInterceptors(logger: Logger): (ctx: Context) => ActivityInterceptors {
  return (ctx) => {
    let requestId: string | undefined;
    const inbound: ActivityInboundCallsInterceptor = {
      async execute(input, next) {
        const header = input.headers?.[REQUEST_ID_HEADER];
        requestId = header ? (defaultPayloadConverter.fromPayload(header) as string) : undefined;
        const { activityType, workflowExecution, attempt, isLocal } = ctx.info;
        const end = activityExecutions.startTimer({ activity: activityType });
        const fields = { request_id: requestId, workflow_id: workflowExecution?.workflowId, activity: activityType, attempt, local: isLocal };
        try {
          const result = await next(input);
          const seconds = end({ outcome: 'completed' });
          logger.info({ ...fields, duration_ms: Math.round(seconds * 1000) }, 'activity completed');
          return result;
        } catch (err) {
          const type = (err as { type?: unknown })?.type;
          const seconds = end({ outcome: typeof type === 'string' ? type : 'error' });
          logger.warn({ ...fields, duration_ms: Math.round(seconds * 1000), error: (err as Error)?.message, error_type: type }, 'activity failed');
          throw err;
        }
      },
    };
    return {
      inbound,
      outbound: {
        getLogAttributes: (input, next) => next(requestId ? { ...input, requestId } : input),
      },
    };
  };
}
