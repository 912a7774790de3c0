/**
 * Keyset pagination, newest first: a page reads limit + 1 rows before the cursor (a row
 * id); the extra row only tells that another page follows, and the page's last row is
 * the next cursor. Offsets would skip or repeat rows while new ones arrive; a keyset does not.
 */
import type { RequestHandler } from 'express';
import { z } from 'zod';
import type { Queryable } from '../db/pool';
import { envEndpoint } from './env-endpoint';
import { cursor, id, pageLimit, userId } from './schemas';

export async function keysetPage<T>(
  request: { limit: number; cursor?: string },
  read: (limit: number, before: string | null) => Promise<T[]>,
  cursorOf: (row: T) => string,
): Promise<{ page: T[]; nextCursor: string | null }> {
  const rows = await read(request.limit + 1, request.cursor ?? null);
  const page = rows.slice(0, request.limit);
  return { page, nextCursor: rows.length > request.limit ? cursorOf(page[page.length - 1]!) : null };
}

export const UserRowsParams = z.object({ env_id: id, user_id: userId });
export const PageQuery = z.object({ limit: pageLimit, cursor });

/**
 * GET /wallet/{env_id}/<rows>/{user_id}: a user's orders or withdrawals, one page as
 * `{ <rows>: [...], next_cursor }`. `list` reads them newest first, before a row id.
 */
export function userRowsEndpoint<T extends { id: string }>(
  db: Queryable,
  rows: string,
  list: (db: Queryable, envId: string, userId: string, limit: number, before: string | null) => Promise<T[]>,
  present: (row: T) => unknown,
): RequestHandler[] {
  return envEndpoint({ params: UserRowsParams, query: PageQuery }, 'params', async ({ params, query }, envId) => {
    const { page, nextCursor } = await keysetPage(query, (limit, before) => list(db, envId, params.user_id, limit, before), (row) => row.id);
    return { [rows]: page.map((row) => present(row)), next_cursor: nextCursor };
  });
}
