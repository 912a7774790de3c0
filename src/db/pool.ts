import { Pool, type PoolClient } from 'pg';

export type { Pool, PoolClient };

/** Either: a query that needs no transaction of its own runs on the pool or inside the caller's. */
export type Queryable = Pool | PoolClient;

export function createPool(connectionString: string, max = 10): Pool {
  const pool = new Pool({ connectionString, max, application_name: 'paynocchio' });
  // An idle client that loses its server (Postgres restart) emits 'error'; without a
  // listener that would crash the process. The next query reconnects.
  pool.on('error', () => undefined);
  return pool;
}

/** Runs fn inside BEGIN/COMMIT on one client; rolls back on any error. */
export async function withTransaction<T>(pool: Pool, fn: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('begin');
    const result = await fn(client);
    await client.query('commit');
    return result;
  } catch (err) {
    await client.query('rollback').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}
