/**
 * Secrets never leave the places they belong: not in answers, not in the worker's
 * logs, not in workflow histories (inputs, results, failures, memo, search attributes).
 */
import { readFileSync } from 'node:fs';
import request from 'supertest';
import { newEnvironment, seedBody, startTestContext, type TestContext } from '../helpers/stack';

let ctx: TestContext;
beforeAll(async () => {
  ctx = await startTestContext();
});
afterAll(async () => ctx.close());

test('an environment secret appears in no answer, worker log line or workflow history', async () => {
  const env = await newEnvironment(ctx.pool, 'secret keeper');
  const send = (path: string, body: Record<string, unknown>) =>
    request(ctx.app).post(path).set('X-Wallet-Signature', env.secret).set('Idempotency-Key', `k-${path}-${Math.random()}`).send(seedBody(body));
  const walletId = (await send('/wallet/', { env_id: env.envId, user_id: 'keeper' })).body.id;
  const answers = [
    await send('/wallet/topup/', { env_id: env.envId, user_id: 'keeper', wallet_id: walletId, amount: 10 }),
    await send('/wallet/payment/', { env_id: env.envId, user_id: 'keeper', wallet_id: walletId, amount: 3, product_id: 'p' }),
    await send('/wallet/payment/', { env_id: env.envId, user_id: 'keeper', wallet_id: walletId, amount: 300, product_id: 'p' }),
    await send('/wallet/topup/', { env_id: env.envId, user_id: 'keeper', wallet_id: walletId, amount: -1 }),
    await request(ctx.app).get('/wallet/').set('X-Wallet-Signature', env.secret + 'x').query({ env_id: env.envId, user_id: 'keeper' }),
  ];
  expect(answers.map((a) => a.status)).toEqual([200, 200, 422, 422, 401]);
  for (const a of answers) {
    expect(a.text).not.toContain(env.secret);
    expect(JSON.stringify(a.headers)).not.toContain(env.secret);
  }

  const histories: string[] = [];
  for await (const wf of ctx.client.workflow.list({ query: `PaynocchioEnvId = "${env.envId}"` })) {
    const history = await ctx.client.workflow.getHandle(wf.workflowId).fetchHistory();
    // Payloads are bytes: read them as text so their JSON is searched.
    histories.push(
      JSON.stringify(history, (key, v) =>
        v instanceof Uint8Array ? Buffer.from(v).toString('utf8') : key === 'data' && typeof v === 'string' ? Buffer.from(v, 'base64').toString('utf8') : v,
      ),
    );
  }
  expect(histories.length).toBe(3);
  for (const h of histories) {
    expect(h).toContain(walletId); // the history does hold the movement's data …
    expect(h).not.toContain(env.secret); // … and never the secret
  }
  expect(readFileSync(ctx.stack.workerLog, 'utf8')).not.toContain(env.secret);
});
