/**
 * The one error → HTTP mapping (src/api/errors.ts) for errors that come from Temporal and
 * Postgres rather than from our own code: which are 503 "try again" and which are 500.
 */
import { ServiceError } from '@temporalio/client';
import { toDomainError } from '../../src/api/errors';
import { DomainError } from '../../src/domain/errors';

test('an update refused while the workflow task is in failed state is 503 unavailable, not 500', () => {
  const grpc = Object.assign(new Error('9 FAILED_PRECONDITION: Workflow Task in failed state.'), { code: 9, details: 'Workflow Task in failed state.' });
  const err = new ServiceError('Unexpected error while making gRPC request', { cause: grpc });
  expect(toDomainError(err).code).toBe('unavailable');
});

test('a gRPC failed precondition of another kind stays internal', () => {
  const grpc = Object.assign(new Error('9 FAILED_PRECONDITION: something else'), { code: 9, details: 'something else' });
  expect(toDomainError(new ServiceError('Unexpected error', { cause: grpc })).code).toBe('internal');
});

test('a Postgres connection failure is 503; a domain error passes through; anything else is 500', () => {
  expect(toDomainError(Object.assign(new Error('the database system is starting up'), { code: '57P03' })).code).toBe('unavailable');
  const domain = new DomainError('insufficient_funds', 'not enough');
  expect(toDomainError(domain)).toBe(domain);
  expect(toDomainError(new TypeError('x is undefined')).code).toBe('internal');
});
