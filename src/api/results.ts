/**
 * What a run reports, as the CLI's reporters and summaries read it: each input's `TaskResult`, the
 * events of a task and of a retried request, a task's state, and the run's cost added up.
 */

export type { RetryEvent } from '../http/client.js';
export type { Size, TaskState } from '../providers/types.js';
export type { CostTotal } from '../run/cost-total.js';
export { describeTotal, formatMoney, totalCost } from '../run/cost-total.js';
export type { PlannedResult, TaskEvents, TaskResult } from '../run/task-types.js';
