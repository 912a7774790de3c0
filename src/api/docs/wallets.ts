/** OpenAPI entries of routes/wallets.ts (registered by src/api/openapi.ts). */
import { registerRoute, WalletSchema } from './registry';
import { collection } from './responses';
import { WalletWithLimitsSchema } from './limits';
import { CreateBody, ListQuery, StatusParams, StatusBody } from '../routes/wallets';

export function documentWallets(): void {
  const walletExample = { id: '123', user_id: '123', env_id: '123', balance: 1000.0, held: 0, currency: 'USD', status: 'active', created_at: '2026-01-01T00:00:00.000Z' };

  registerRoute({
    method: 'post', path: '/wallet', tags: ['wallets'], summary: "Create the user's wallet (or return the existing one)",
    request: { body: CreateBody, bodyExample: { env_id: 123, user_id: 123 } },
    responses: { 200: { description: 'The wallet', schema: WalletSchema, example: walletExample } },
  });
  registerRoute({
    method: 'get', path: '/wallet', tags: ['wallets'], summary: "List a user's wallets",
    request: { query: ListQuery },
    responses: { 200: collection('Wallets', 'wallets', WalletWithLimitsSchema, [walletExample]) },
  });
  registerRoute({
    method: 'patch', path: '/wallet/:wallet_id/status', tags: ['wallets'], summary: "Change a wallet's status",
    request: { params: StatusParams, body: StatusBody, bodyExample: { env_id: '123', user_id: '123', status: 'suspended' } },
    responses: {
      200: {
        description: 'The wallet after the change',
        schema: WalletSchema.pick({ id: true, balance: true, held: true, currency: true, status: true }),
        example: { id: '123', balance: 1000.0, held: 0, currency: 'USD', status: 'suspended' },
      },
      409: { description: 'Transition not allowed (a closed wallet, or closing a wallet with money)' },
    },
  });

}
