/** OpenAPI entries of routes/orders.ts (registered by src/api/openapi.ts). */
import { z } from 'zod';
import { OrderSchema, registerRoute } from './registry';
import { Params, Query } from '../routes/orders';

export function documentOrders(): void {
  registerRoute({
    method: 'get', path: '/wallet/:env_id/orders/:user_id', tags: ['orders'], summary: "A user's orders, newest first",
    request: { params: Params, query: Query },
    responses: {
      200: {
        description: 'One page; pass next_cursor as cursor for the next',
        schema: z.object({ orders: z.array(OrderSchema), next_cursor: z.string().nullable() }),
        example: { orders: [], next_cursor: null },
      },
    },
  });

}
