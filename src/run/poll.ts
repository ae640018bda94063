/**
 * Polls a task until it is final. The wait grows with the task's age (15 % of it, capped),
 * so a short task is noticed quickly and a long one is not polled hundreds of times;
 * a provider's ETA can bring the next poll forward.
 */
import { UpscaleError } from '../errors.js';
import { delay } from '../http/delay.js';
import type { TaskState } from '../providers/types.js';

export const POLL_AGE_FRACTION = 0.15;
export const POLL_CAP_MS = 30_000;

/** Milliseconds before the next poll of a task `ageMs` old. Pure; tested by table. */
export function nextPollDelay(
  firstMs: number,
  ageMs: number,
  state?: TaskState,
  capMs: number = POLL_CAP_MS,
): number {
  let wait = Math.min(capMs, Math.max(firstMs, ageMs * POLL_AGE_FRACTION));
  if (state?.status === 'running' && state.etaSeconds !== undefined && state.etaSeconds >= 0) {
    // Wake shortly after the promised end, but never busy-loop below a tenth of the first interval.
    wait = Math.min(wait, Math.max(firstMs / 10, state.etaSeconds * 1000 + 100));
  }
  return Math.round(wait);
}

export type FinalState = Extract<TaskState, { status: 'succeeded' | 'failed' }>;

export interface PollOptions {
  readonly taskId: string;
  /** When the task was submitted (its age is measured from here). */
  readonly submittedAt: number;
  readonly firstIntervalMs: number;
  /** Absolute time after which the task is given up (Date.now() based). */
  readonly deadline: number;
  readonly signal?: AbortSignal | undefined;
  readonly fetchState: () => Promise<TaskState>;
  readonly onState?: ((state: TaskState, elapsedMs: number) => void) | undefined;
  readonly now?: () => number;
  /** Poll at once (a resumed task may have finished long ago), then follow the schedule. */
  readonly immediate?: boolean;
}

export async function pollUntilFinal(options: PollOptions): Promise<FinalState> {
  const now = options.now ?? Date.now;
  let state: TaskState | undefined;
  const waitedFrom = now();
  for (;;) {
    const remaining = options.deadline - now();
    if (remaining <= 0) {
      const seconds = Math.round((options.deadline - waitedFrom) / 1000);
      throw new UpscaleError('TIMEOUT', `task ${options.taskId} did not finish within ${seconds} s`, {
        hint: 'it may still finish: run the same command again (or `upscale download <task-id>`) to collect it, or raise --timeout',
      });
    }
    // The last poll lands on the deadline itself rather than giving up early.
    const wait = Math.min(
      nextPollDelay(options.firstIntervalMs, now() - options.submittedAt, state),
      remaining,
    );
    await delay(wait, options.signal);
    state = await options.fetchState();
    options.onState?.(state, now() - options.submittedAt);
    if (state.status === 'succeeded' || state.status === 'failed') return state;
  }
}
