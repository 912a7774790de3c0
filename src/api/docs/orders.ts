/** OpenAPI entries of routes/orders.ts (registered by src/api/openapi.ts). */
import { OrderSchema, registerRoute } from './registry';
import { page } from './responses';
import { Params, Query } from '../routes/orders';

export function documentOrders(): void {
  registerRoute({
    method: 'get', path: '/wallet/:env_id/orders/:user_id', tags: ['orders'], summary: "A user's orders, newest first",
    request: { params: Params, query: Query },
    responses: { 200: page('orders', OrderSchema, []) },
  });

}
