/** A user's orders, newest first, keyset-paginated: GET /wallet/{env_id}/orders/{user_id}. */
import { Router } from 'express';
import { z } from 'zod';
import type { Pool } from '../../db/pool';
import { listUserOrders } from '../../db/queries/orders';
import { requireEnv } from '../auth';
import { sendJson } from '../json';
import { presentOrder } from '../../wire/present';
import { cursor, id, pageLimit, userId } from '../schemas';
import { endpoint } from '../validate';

export const Params = z.object({ env_id: id, user_id: userId });
export const Query = z.object({ limit: pageLimit, cursor });

export function orderRoutes(pool: Pool): Router {
  const router = Router();
  router.get(
    '/wallet/:env_id/orders/:user_id',
    ...endpoint(
      { params: Params, query: Query },
      async ({ params, query }, _req, res) => {
        const envId = requireEnv(res, params.env_id);
        const orders = await listUserOrders(pool, envId, params.user_id, query.limit + 1, query.cursor ?? null);
        const page = orders.slice(0, query.limit);
        const nextCursor = orders.length > query.limit ? page[page.length - 1]!.id : null;
        sendJson(res, 200, { orders: page.map(presentOrder), next_cursor: nextCursor });
      },
    ),
  );
  return router;
}
