/**
 * failedForGood's answer: a data error refused the step (the same request cannot succeed);
 * a terminated workflow or a spent retry budget may have ended after a step committed, so
 * the client is told to look before sending the movement again under a new key.
 */
import { WorkflowFailedError } from '@temporalio/client';
import { ActivityFailure, ApplicationFailure, RetryState, TerminatedFailure, TimeoutFailure, TimeoutType } from '@temporalio/common';
import { failedForGood } from '../../src/api/temporal';
import { DomainError } from '../../src/domain/errors';

const asDomain = (err: unknown) => failedForGood(err, 'topup-1-key-k') as DomainError;

test('a data error: refused, cannot succeed as sent', () => {
  const dbError = ApplicationFailure.create({ type: 'database_error', message: 'SQLSTATE 22021', nonRetryable: true });
  const activity = new ActivityFailure('activity failed', 'topupWallet', undefined, RetryState.NON_RETRYABLE_FAILURE, undefined, dbError);
  const d = asDomain(new WorkflowFailedError('failed', activity, RetryState.NON_RETRYABLE_FAILURE));
  expect(d).toBeInstanceOf(DomainError);
  expect(d.code).toBe('internal');
  expect(d.details).toEqual({ workflow_id: 'topup-1-key-k', outcome: 'refused' });
  expect(d.message).toMatch(/cannot succeed/);
});

test.each([
  ['terminated', new TerminatedFailure('an operator terminated it')],
  [
    'a spent retry budget',
    new ActivityFailure('activity failed', 'topupWallet', undefined, RetryState.TIMEOUT, undefined, new TimeoutFailure('timed out', undefined, TimeoutType.SCHEDULE_TO_CLOSE)),
  ],
])('%s: the outcome is unknown, and the answer does not say a retry cannot succeed', (_name, cause) => {
  const d = asDomain(new WorkflowFailedError('failed', cause, RetryState.NON_RETRYABLE_FAILURE));
  expect(d.code).toBe('internal');
  expect(d.details).toEqual({ workflow_id: 'topup-1-key-k', outcome: 'unknown' });
  expect(d.message).not.toMatch(/cannot succeed/);
  expect(d.message).toMatch(/history/);
});
