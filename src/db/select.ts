/** The reads several query modules make alike: one row by a unique key, a user's page of rows. */
import type { QueryResultRow } from 'pg';
import type { Queryable } from './pool';
import { newestFirstPage } from './sql';

/**
 * The row a statement selects (by a unique key: an id, a workflow id, a PaymentIntent id;
 * or the first in its order), locked when it says `for update`, in the caller's shape;
 * null when there is none.
 */
export async function selectOne<Row extends QueryResultRow, T>(db: Queryable, sql: string, params: unknown[], map: (row: Row) => T): Promise<T | null> {
  const { rows } = await db.query<Row>(sql, params);
  return rows[0] ? map(rows[0]) : null;
}

/**
 * A user's rows of `table` in an environment (its `env_id` and `user_id` columns), newest
 * first, one page: the listing shape of a user's orders and withdrawals.
 */
export async function selectUserPage<Row extends QueryResultRow>(
  db: Queryable,
  from: { table: string; columns: string },
  page: { envId: string; userId: string; limit: number; beforeId: string | null },
): Promise<Row[]> {
  const { rows } = await db.query<Row>(
    `select ${from.columns} from ${from.table} where env_id = $1 and user_id = $2 and ${newestFirstPage({ before: 3, limit: 4 })}`,
    [page.envId, page.userId, page.beforeId, page.limit],
  );
  return rows;
}
