/** The walletPayments workflow's Update, shared with the API that sends it (src/api/temporal.ts). */
import { defineUpdate } from '@temporalio/workflow';
import type { PaymentInput, PaymentResult } from '../domain/types';

export const payUpdate = defineUpdate<PaymentResult, [PaymentInput]>('pay');
