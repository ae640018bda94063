/**
 * `upscale` as a library: the same runs the CLI makes, reported through callbacks.
 *
 * ```ts
 * import { upscale } from 'upscale';
 * const result = await upscale('photo.jpg', { apiKey, params: { scale: '4x' }, format: 'keep' });
 * ```
 */
export type { UpscaleEvents, UpscaleOptions } from './api/upscale.js';
export { upscale, upscaleBatch } from './api/upscale.js';
export type { ErrorCode } from './errors.js';
export { UpscaleError } from './errors.js';
export type { ImageFormat } from './formats.js';
export type { FinishNotice } from './image/finish-output.js';
export type { OutputOptions } from './image/output-options.js';
export type { ProviderId } from './providers/index.js';
export { getProvider, PROVIDER_IDS, providers } from './providers/index.js';
export type { CostEstimate, Provider, Size, TaskState } from './providers/types.js';
export type { CostTotal } from './run/cost-total.js';
export { describeTotal, formatMoney, totalCost } from './run/cost-total.js';
export type {
  FailedResult,
  PlannedResult,
  SkippedResult,
  SucceededResult,
  TaskError,
  TaskNotice,
  TaskResult,
  TaskWarning,
} from './run/run-task.js';
export type { FreepikWebhook, WebhookCheck } from './webhooks.js';
export { checkFreepikWebhook, verifyFreepikWebhook } from './webhooks.js';
