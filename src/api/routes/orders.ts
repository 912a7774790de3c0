/** A user's orders, newest first, keyset-paginated: GET /wallet/{env_id}/orders/{user_id}. */
import { Router } from 'express';
import type { Pool } from '../../db/pool';
import { listUserOrders } from '../../db/queries/orders';
import { presentOrder } from '../../wire/present';
import { PageQuery, UserRowsParams, userRowsEndpoint } from '../pagination';

export const Params = UserRowsParams;
export const Query = PageQuery;

export function orderRoutes(pool: Pool): Router {
  const router = Router();
  router.get('/wallet/:env_id/orders/:user_id', ...userRowsEndpoint(pool, 'orders', listUserOrders, presentOrder));
  return router;
}
