/** Every workflow the worker runs. This file is the worker's `workflowsPath`. */
export { withdraw } from './withdraw';
export { topup } from './topup';
export { payment } from './payment';
export { transfer } from './transfer';
export { refund } from './refund';
export { webhookDelivery } from './webhook-delivery';
export { holdSweeper } from './hold-sweeper';
export { reconcile } from './reconcile';
export { scheduleRun } from './schedule-run';
export { walletPayments } from './wallet-payments';
export { cardTopup } from './card-topup';
export { batch } from './batch';
export { paymentBatch } from './payment-batch';
