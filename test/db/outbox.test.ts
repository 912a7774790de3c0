/**
 * recordEvent in one statement (issue 11): the payload Postgres assembles is exactly the
 * text `stringify({ type, timestamp, event_id, data })` gives for the row written (its id,
 * its created_at to the millisecond), and every enabled endpoint subscribed to the type
 * gets its delivery, the others none.
 */
import { LosslessNumber, stringify } from 'lossless-json';
import { recordEvent } from '../../src/db/queries/outbox';
import { createPool, withTransaction, type Pool } from '../../src/db/pool';
import { newEnvironment, readStack } from '../helpers/stack';

let pool: Pool;
let envId: string;
beforeAll(async () => {
  pool = createPool(readStack().databaseUrl, 2);
  ({ envId } = await newEnvironment(pool, 'outbox-test'));
});
afterAll(async () => {
  await pool.end();
});

test('the payload is the stringified event of the row written, and only subscribed enabled endpoints get a delivery', async () => {
  const endpoints = (
    await pool.query<{ id: string }>(
      `insert into webhook_endpoints (env_id, url, secret, event_types, status)
       values ($1, 'https://a.example/hook', 'whsec_a', '{payment.completed}', 'enabled'),
              ($1, 'https://b.example/hook', 'whsec_b', '{topup.completed}', 'enabled'),
              ($1, 'https://c.example/hook', 'whsec_c', '{payment.completed}', 'disabled')
       returning id`,
      [envId],
    )
  ).rows.map((r) => r.id);
  // Quotes, backslashes, non-ASCII and an exact big number: the data is spliced in as it was stringified.
  const data = { note: 'a "quoted" \\ back\u00e9 \u2028', amount: new LosslessNumber('12345678901234567890.12'), nested: { list: [1, null, true] } };
  const ids: string[] = [];
  for (let i = 0; i < 3; i++) ids.push(await withTransaction(pool, (client) => recordEvent(client, envId, 'payment.completed', data)));
  expect(new Set(ids).size).toBe(3);
  for (const id of ids) {
    const row = (await pool.query<{ payload: string; created_at: Date; type: string }>('select payload, created_at, type from webhook_events where id = $1', [id])).rows[0]!;
    expect(row.type).toBe('payment.completed');
    expect(row.payload).toBe(stringify({ type: 'payment.completed', timestamp: row.created_at.toISOString(), event_id: id, data }));
    const deliveries = (await pool.query<{ endpoint_id: string }>('select endpoint_id from webhook_deliveries where event_id = $1', [id])).rows;
    expect(deliveries.map((d) => d.endpoint_id)).toEqual([endpoints[0]]);
  }
});
