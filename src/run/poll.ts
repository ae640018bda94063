/**
 * Polls a task until it is final. Each wait is the first interval plus 15 % of the task's age
 * (capped), so a finished task is noticed within the first interval + 15 % of its age, and a
 * 60 s task takes fewer than 20 polls. Hints bring a poll forward, never push it back: the
 * provider's ETA or progress, and how long the other tasks of the same run took.
 */
import { UpscaleError } from '../errors.js';
import { delay } from '../http/delay.js';
import type { TaskState } from '../providers/types.js';

export const POLL_AGE_FRACTION = 0.15;
export const POLL_CAP_MS = 30_000;
/** Polls woken by a hint come this long after the promised end. */
const HINT_MARGIN_MS = 100;
/**
 * Two polls of one task are at least this far apart, or a tenth of its age when that is longer:
 * polls count against the key every process of a fleet shares, so spare budget is not a reason
 * to ask more often. A 4 s task then takes at most 12 polls, whatever the limit.
 */
export const MIN_POLL_GAP_MS = 500;
const MIN_POLL_GAP_AGE_FRACTION = 0.1;

/** The shortest wait before the next poll of a task `ageMs` old; a faster --poll-interval lowers the 500 ms. Pure. */
export function minPollGap(firstMs: number, ageMs: number): number {
  return Math.max(Math.min(MIN_POLL_GAP_MS, firstMs), ageMs * MIN_POLL_GAP_AGE_FRACTION);
}

/**
 * What the provider says is left of a running task: its ETA, or the time so far scaled by the
 * progress still to go (whichever is sooner). Pure.
 */
export function remainingHintMs(ageMs: number, state?: TaskState): number | undefined {
  if (state?.status !== 'running') return undefined;
  const hints: number[] = [];
  if (state.etaSeconds !== undefined && state.etaSeconds >= 0) hints.push(state.etaSeconds * 1000);
  const { progress } = state;
  if (progress !== undefined && progress > 0 && progress < 100)
    hints.push((ageMs * (100 - progress)) / progress);
  return hints.length > 0 ? Math.min(...hints) : undefined;
}

/** Milliseconds before the next poll of a task `ageMs` old. Pure; tested by table. */
export function nextPollDelay(
  firstMs: number,
  ageMs: number,
  state?: TaskState,
  capMs: number = POLL_CAP_MS,
): number {
  let wait = Math.min(capMs, firstMs + ageMs * POLL_AGE_FRACTION);
  const remaining = remainingHintMs(ageMs, state);
  if (remaining !== undefined) {
    // Wake shortly after the promised end, but never busy-loop below a tenth of the first interval.
    wait = Math.min(wait, Math.max(firstMs / 10, remaining + HINT_MARGIN_MS));
  }
  return Math.round(wait);
}

/** What a poll loop learns from and asks about the durations of like tasks. */
export interface DurationHints {
  /** A task was seen running at `runningMs` and done at `doneMs` (ages, from its submit). */
  observe(runningMs: number, doneMs: number): void;
  /** The next age after `ageMs` worth a poll, if known. */
  nextProbe(ageMs: number): number | undefined;
}

/**
 * How long the tasks of one run take, learned as they finish: each succeeded task was still
 * running at one age and done at a later one. The estimate keeps the narrowest bracket that
 * agrees with every recent task (a task of another length starts it anew), and later tasks
 * poll inside it: in the middle while it is wide (halving it each time), then at its end.
 * A batch of like images then finds each result about when it is ready, at a cost of at most
 * two extra polls per task.
 */
export class DurationEstimate implements DurationHints {
  private low = 0;
  private high = Number.POSITIVE_INFINITY;

  /** A task was seen running at `runningMs` and done at `doneMs` (ages, from its submit). */
  observe(runningMs: number, doneMs: number): void {
    const agrees = runningMs < this.high && doneMs > this.low;
    this.low = agrees ? Math.max(this.low, runningMs) : runningMs;
    this.high = agrees ? Math.min(this.high, doneMs) : doneMs;
  }

  /** The next age after `ageMs` worth a poll, if the estimate knows one. */
  nextProbe(ageMs: number): number | undefined {
    if (!Number.isFinite(this.high)) return undefined;
    const middle = (this.low + this.high) / 2;
    const wide = this.high - this.low > Math.max(100, 0.05 * this.high);
    if (wide && ageMs < middle) return middle;
    return ageMs < this.high ? this.high : undefined;
  }
}

export type FinalState = Extract<TaskState, { status: 'succeeded' | 'failed' }>;

/**
 * How long a task that says "completed" without any result is asked again. Seen live (precision
 * V1): the credits are spent, so the result is worth minutes of polls, never a new submit.
 */
export const EMPTY_RESULT_GRACE_MS = 180_000;

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
  /** Shared by the tasks of one run: learns from this one, and times its polls. */
  readonly estimate?: DurationHints | undefined;
  /**
   * True while requests are scarce (the budget is busy): polls then wait for the predicted end
   * instead of keeping the quick beat. Without a prediction the quick beat stays.
   */
  readonly scarce?: (() => boolean) | undefined;
  readonly now?: () => number;
  /** Poll at once (a resumed task may have finished long ago), then follow the schedule. */
  readonly immediate?: boolean;
  /** How long a completion without results is polled again (default EMPTY_RESULT_GRACE_MS). */
  readonly emptyGraceMs?: number;
  /** Overrides the wait before the next ask (a batch poller that sets the pace itself says 0). */
  readonly askAgainAfterMs?: (() => number | undefined) | undefined;
}

function emptyResultError(taskId: string, waitedMs: number): UpscaleError {
  return new UpscaleError(
    'EMPTY_RESULT',
    `task ${taskId} says it completed but gave no result, still after ${Math.round(waitedMs / 1000)} s`,
    {
      hint: `the task is paid and kept: \`upscale resume\` (or \`upscale download ${taskId}\`) collects it later; nothing is submitted again`,
    },
  );
}

export async function pollUntilFinal(options: PollOptions): Promise<FinalState> {
  const now = options.now ?? Date.now;
  const age = () => now() - options.submittedAt;
  let state: TaskState | undefined;
  const waitedFrom = now();
  // When the task was last seen unfinished: the submit's answer, unless the task is being resumed.
  let runningAt = options.immediate ? undefined : 0;
  let emptySince: number | undefined;
  const emptyGrace = options.emptyGraceMs ?? EMPTY_RESULT_GRACE_MS;
  for (;;) {
    const remaining = options.deadline - now();
    if (emptySince !== undefined && (remaining <= 0 || now() - emptySince >= emptyGrace)) {
      throw emptyResultError(options.taskId, now() - emptySince);
    }
    if (remaining <= 0) {
      const seconds = Math.round((options.deadline - waitedFrom) / 1000);
      throw new UpscaleError('TIMEOUT', `task ${options.taskId} did not finish within ${seconds} s`, {
        hint: 'it may still finish: run the same command again (or `upscale download <task-id>`) to collect it, or raise --timeout',
      });
    }
    const ageMs = age();
    let wait =
      options.immediate && state === undefined ? 0 : nextPollDelay(options.firstIntervalMs, ageMs, state);
    const probe = options.estimate?.nextProbe(ageMs);
    if (probe !== undefined) {
      wait = options.scarce?.() ? probe - ageMs : Math.min(wait, probe - ageMs);
    }
    const override = state === undefined ? undefined : options.askAgainAfterMs?.();
    if (override !== undefined) wait = override;
    // Hints bring a poll forward, never closer than the gap (a batch poller spaces its own asks).
    else if (!(options.immediate && state === undefined))
      wait = Math.max(wait, minPollGap(options.firstIntervalMs, ageMs));
    // The last poll lands on the deadline itself rather than giving up early.
    const graceLeft = emptySince === undefined ? remaining : emptySince + emptyGrace - now();
    await delay(Math.min(wait, remaining, graceLeft), options.signal);
    const askedAt = age();
    state = await options.fetchState();
    options.onState?.(state, age());
    if (state.status === 'succeeded' && state.urls.length === 0) {
      // Done but not published: ask again on the normal schedule, from the age it completed at.
      emptySince ??= now();
      continue;
    }
    if (state.status === 'succeeded' && runningAt !== undefined)
      options.estimate?.observe(runningAt, askedAt);
    if (state.status === 'succeeded' || state.status === 'failed') return state;
    runningAt = askedAt;
  }
}
