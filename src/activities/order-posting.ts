/**
 * The one way an order's movements reach the ledger (payment, authorization hold, capture,
 * release, refund): posted in the order's environment and currency, under the workflow
 * step's idempotency id.
 */
import type { Posting } from '../domain/postings';
import type { Order } from '../domain/types';
import { postTransaction, type PostingResult } from '../db/ledger';
import type { PoolClient } from '../db/pool';

export function postOrderMovement(
  client: PoolClient,
  order: Pick<Order, 'envId' | 'currency'>,
  idempotencyId: string,
  posting: Posting,
): Promise<PostingResult> {
  return postTransaction(client, { idempotencyId, envId: order.envId, currency: order.currency, ...posting });
}
