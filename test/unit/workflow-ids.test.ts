/**
 * Workflow ids from Idempotency-Keys fit Temporal's SQL persistence: its Postgres and
 * MySQL schemas keep workflow ids in varchar(255), so a longer id could never start
 * (503 on every retry) on the production topology, though the dev server took it.
 */
import { MAX_WORKFLOW_ID_LENGTH, workflowIdFor } from '../../src/temporal/start-workflow';

const hash = 'ab'.repeat(32);

test('a short key keeps the readable id', () => {
  expect(workflowIdFor('payment', '123', 'order-42', hash)).toBe(`payment-123-key-order-42-${hash.slice(0, 16)}`);
  expect(workflowIdFor('topup', '123', 'k')).toBe('topup-123-key-k');
});

test('every key of up to 255 characters gives an id of at most 255, the same each time, one per key and body', () => {
  for (const kind of ['topup', 'payment', 'transfer', 'refund', 'withdraw'] as const) {
    for (const length of [1, 200, 220, 230, 240, 255]) {
      const key = 'k'.repeat(length - 1) + 'x';
      const id = workflowIdFor(kind, '9007199254740993', key, hash);
      expect(id.length).toBeLessThanOrEqual(MAX_WORKFLOW_ID_LENGTH);
      expect(workflowIdFor(kind, '9007199254740993', key, hash)).toBe(id);
      expect(workflowIdFor(kind, '9007199254740993', key, 'cd'.repeat(32))).not.toBe(id);
      expect(workflowIdFor(kind, '9007199254740993', 'k'.repeat(length - 1) + 'y', hash)).not.toBe(id);
      expect(id.startsWith(`${kind}-9007199254740993-key`)).toBe(true);
    }
  }
});
