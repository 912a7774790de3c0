/** OpenAPI entries of routes/withdrawals.ts (registered by src/api/openapi.ts). */
import { z } from 'zod';
import { WITHDRAWAL_STATUSES } from '../../domain/withdrawals';
import { movementHeaders, registerRoute, WithdrawalEventSchema, WithdrawalSchema } from './registry';
import { idempotencyConflict, page, withTimeline } from './responses';
import { WithdrawBody, WithdrawalParams, EnvQuery, ListParams, ListQuery, CancelBody } from '../routes/withdrawals';

export function documentWithdrawals(): void {
  const withdrawalExample = {
    id: '900000001', env_id: '123', wallet_id: '123', user_id: '123', amount: 250.0, fee: 0.5, currency: 'USD', status: 'awaiting_onboarding',
    stripe_account_id: 'acct_1QxYzAbCdEfGhIjK', stripe_transfer_id: null, stripe_payout_id: null, failure_code: null, failure_message: null,
    created_at: '2026-01-01T00:00:00.000Z', updated_at: '2026-01-01T00:00:01.000Z',
  };
  const paidExample = {
    ...withdrawalExample, status: 'paid', stripe_transfer_id: 'tr_1QxYzAbCdEfGhIjK', stripe_payout_id: 'po_1QxYzAbCdEfGhIjK',
    updated_at: '2026-01-02T09:30:00.000Z',
  };

  registerRoute({
    method: 'post', path: '/wallet/withdraw', tags: ['withdrawals'], summary: 'Withdraw to the bank through Stripe Connect',
    description:
      'Holds the amount and runs the `withdraw` workflow. Answers as soon as the Stripe link exists: the onboarding link while the ' +
      "user's Stripe account cannot receive payouts yet, else the Express dashboard login link; the payout goes on in the workflow. " +
      "Withdrawals are capped per environment (in flight + paid in 24 h ≤ a share of its deposits): over it, 422 `withdrawal_limit_exceeded`, nothing held. " +
      "The environment's withdrawal fee (PUT /environments/{env_id}/fees) is charged on top of the amount with the hold (422 `insufficient_funds` when amount + fee is not there) and given back if the withdrawal fails. " +
      'Responds with the `Workflow-Id` header.',
    request: { body: WithdrawBody, headers: movementHeaders, bodyExample: { env_id: 123, user_id: 123, wallet_id: 123, amount: 250 } },
    responses: {
      200: {
        description: 'Where to send the user, and the withdrawal to follow with GET /wallet/withdrawals/{withdrawal_id}',
        schema: z.object({
          url: z.string().nullable(),
          withdrawal_id: z.string().nullable(),
          status: z.enum([...WITHDRAWAL_STATUSES, 'starting']),
          fee: WithdrawalSchema.shape.amount.nullable().openapi({ description: "The environment's withdrawal fee, charged on top of the amount with the hold (given back if the withdrawal fails)" }),
        }),
        example: { url: 'https://connect.stripe.com/setup/e/acct_1QxYzAbCdEfGhIjK/aBcDeFgHiJkL', withdrawal_id: '900000001', status: 'awaiting_onboarding', fee: 0.5 },
      },
      409: idempotencyConflict,
    },
  });
  registerRoute({
    method: 'get', path: '/wallet/withdrawals/:withdrawal_id', tags: ['withdrawals'], summary: 'A withdrawal and its timeline',
    request: { params: WithdrawalParams, query: EnvQuery },
    responses: {
      200: withTimeline('The withdrawal, with every step the workflow recorded, oldest first', WithdrawalSchema, WithdrawalEventSchema, {
        ...paidExample,
        timeline: [
          { seq: 0, step: 'funds_held', detail: { transaction_id: '3' }, at: '2026-01-01T00:00:00.000Z' },
          { seq: 1, step: 'account', detail: { stripe_account_id: 'acct_1QxYzAbCdEfGhIjK', payouts_enabled: false }, at: '2026-01-01T00:00:00.500Z' },
          { seq: 2, step: 'onboarding_link_created', detail: {}, at: '2026-01-01T00:00:01.000Z' },
          { seq: 3, step: 'onboarding_complete', detail: {}, at: '2026-01-01T00:12:00.000Z' },
          { seq: 4, step: 'processing', detail: {}, at: '2026-01-01T00:12:00.100Z' },
          { seq: 5, step: 'transfer_created', detail: { stripe_transfer_id: 'tr_1QxYzAbCdEfGhIjK' }, at: '2026-01-01T00:12:01.000Z' },
          { seq: 6, step: 'payout_created', detail: { stripe_payout_id: 'po_1QxYzAbCdEfGhIjK' }, at: '2026-01-01T00:12:02.000Z' },
          { seq: 7, step: 'payout_paid', detail: { stripe_payout_id: 'po_1QxYzAbCdEfGhIjK' }, at: '2026-01-02T09:30:00.000Z' },
          { seq: 8, step: 'paid_out', detail: { transaction_id: '9' }, at: '2026-01-02T09:30:00.000Z' },
        ],
      }),
    },
  });
  registerRoute({
    method: 'get', path: '/wallet/:env_id/withdrawals/:user_id', tags: ['withdrawals'], summary: "A user's withdrawals, newest first",
    request: { params: ListParams, query: ListQuery },
    responses: { 200: page('withdrawals', WithdrawalSchema, [paidExample]) },
  });
  registerRoute({
    method: 'post', path: '/wallet/withdrawals/:withdrawal_id/cancel', tags: ['withdrawals'], summary: 'Cancel a withdrawal still awaiting onboarding',
    description: 'Releases the hold. Canceling a canceled withdrawal answers it again.',
    request: { params: WithdrawalParams, body: CancelBody, bodyExample: { env_id: 123 } },
    responses: {
      200: {
        description: 'The withdrawal, canceled',
        schema: WithdrawalSchema,
        example: { ...withdrawalExample, status: 'canceled', updated_at: '2026-01-01T00:05:00.000Z' },
      },
      409: { description: 'The withdrawal is past onboarding (money has left): it can no longer be canceled' },
    },
  });

}
