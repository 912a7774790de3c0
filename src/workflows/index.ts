/** Every workflow the worker runs. This file is the worker's `workflowsPath`. */
export { topup } from './topup';
export { payment } from './payment';
export { withdraw } from './withdraw';
