/**
 * The shapes a task run shares with its callers: the run's context and one input's settings in,
 * events out, one result per input.
 */
import { toUpscaleError, type UpscaleError } from '../errors.js';
import type { HttpClient } from '../http/client.js';
import type { FinishNotice } from '../image/finish-output.js';
import type { OutputOptions } from '../image/output-options.js';
import type { CostEstimate, ParamValues, Provider, Size, TaskState } from '../providers/types.js';
import type { DurationModel } from './duration-model.js';
import { FirstSubmit } from './first-submit.js';
import type { Ledger } from './ledger/ledger.js';
import type { OutputTarget } from './naming.js';
import type { OutputPlan } from './output-plan.js';
import { DurationEstimate } from './poll.js';
import type { Connection } from './provider-api.js';
import type { Freshness, RecipeBook } from './recipe.js';
import type { UncertainResolver } from './resolve-uncertain.js';
import type { StatusHub } from './status-hub.js';

export type TaskStage = 'checking' | 'submitting' | 'waiting' | 'downloading' | 'writing';

export interface TaskEvents {
  onStage?(input: string, stage: TaskStage): void;
  onSubmitted?(input: string, taskId: string, resumed: boolean): void;
  onStatus?(input: string, taskId: string, state: TaskState, elapsedMs: number): void;
  /** Something the user should know about one output (e.g. its transparency was flattened). */
  onNotice?(input: string, notice: TaskNotice): void;
  /** Another run holds this input's output (same folder): this one waits for it instead of paying. */
  onWaitingForOtherRun?(input: string, holder: { pid: number; since: number } | undefined): void;
  /** Requests wait for the API key's budget until this time (ms since epoch). */
  onBudgetWait?(until: number): void;
}

/**
 * Said once per run by the CLI: how an output was finished, or ANSWER_REFUSED, a provider's
 * answer that named another input's task (see remote-task.ts).
 */
export interface TaskNotice {
  readonly code: FinishNotice['code'] | 'ANSWER_REFUSED';
  readonly message: string;
}

/** Something about one result the user should know, that did not stop it (e.g. an unexpected size). */
export interface TaskWarning {
  readonly code: 'SIZE_MISMATCH' | 'ALPHA_FLATTENED';
  readonly message: string;
}

export interface TaskError {
  readonly code: string;
  readonly message: string;
  readonly hint?: string;
  /** The provider's request id of the answer behind the error, when it sent one (for its support). */
  readonly requestId?: string;
}

interface ResultBase {
  /** The input as the user gave it (path or URL). */
  readonly input: string;
  readonly provider: string;
}

/** The output is written (or was, by an earlier run that stopped just before recording it). */
export interface SucceededResult extends ResultBase {
  readonly status: 'succeeded';
  readonly output: string;
  /** The provider's task (none for the local engine). */
  readonly taskId?: string;
  readonly width?: number;
  readonly height?: number;
  /** What went unexpectedly but was kept (the result's size, …): the output is still the paid result. */
  readonly warnings?: readonly TaskWarning[];
  /** API requests spent on this input (a task list shared by n tasks counts 1/n for each). */
  readonly requests?: number;
}

/** The output was already there: nothing was sent. */
export interface SkippedResult extends ResultBase {
  readonly status: 'skipped';
  readonly output: string;
  readonly width?: number;
  readonly height?: number;
  /** With recipes: the output is up to date. */
  readonly freshness?: Extract<Freshness, 'up-to-date'>;
}

export interface FailedResult extends ResultBase {
  readonly status: 'failed';
  readonly error: TaskError;
  /** The task, when one was created (it may be paid). */
  readonly taskId?: string;
  readonly requests?: number;
}

/** Under --dry-run: what would be sent, the sizes and the estimate. */
export interface PlannedResult extends ResultBase {
  readonly status: 'planned';
  /** The body that would be sent (image elided), or the local engine's settings. */
  readonly request: unknown;
  readonly cost: CostEstimate;
  /** The input's stored size, the size sent when --fit changes it, the provider's output, the exact final size. */
  readonly inputSize?: Size;
  readonly fittedTo?: Size;
  readonly expected?: Size;
  readonly resizeTo?: Size;
  /** With recipes: whether the output is new or its input changed. */
  readonly freshness?: Extract<Freshness, 'new' | 'changed'>;
}

type AnyResult = SucceededResult | SkippedResult | FailedResult | PlannedResult;
type ResultField = AnyResult extends infer R ? (R extends AnyResult ? keyof R : never) : never;
/** A member that never has the fields of the others: they read as `undefined` on any result. */
type Only<R> = R & { readonly [K in Exclude<ResultField, keyof R>]?: never };

/**
 * One line of `--json`, and what the programmatic API returns per input: narrow by `status`.
 * Every field of every status may be read on any result (absent ones are `undefined`).
 */
export type TaskResult =
  | Only<SucceededResult>
  | Only<SkippedResult>
  | Only<FailedResult>
  | Only<PlannedResult>;

export interface InputItem {
  /** The input as the user gave it (path or URL). */
  readonly input: string;
  readonly kind: 'file' | 'url';
  readonly target: OutputTarget;
}

/**
 * An input's place among the tasks in flight (`--concurrency`). A task the provider has finished
 * no longer occupies one: its place is given back as soon as that is known, so the next input is
 * submitted while this one's result is still being fetched and written.
 */
export interface Place {
  release(): void;
}

/**
 * What is fixed for a whole run and shared by its inputs: the provider and how it is reached,
 * timings, signals, listeners and the run's services (recipes, ledger, task-list resolver, status
 * hub). What the run learns and changes as it goes is in `state`.
 */
export interface RunContext {
  readonly provider: Provider;
  /** The run's HTTP client (URL inputs are read through it, results downloaded). */
  readonly client: HttpClient;
  /**
   * The provider's API as this run reaches it: a provider with the HTTP feature and a key (none
   * for an in-process engine, nor under --dry-run without a key).
   */
  readonly connection?: Connection;
  readonly pollIntervalMs: number;
  readonly timeoutMs: number;
  readonly dryRun?: boolean;
  readonly signal?: AbortSignal;
  /** Aborts a submit in flight; the CLI leaves it unset so the first Ctrl-C lets submits finish. */
  readonly submitSignal?: AbortSignal;
  readonly events?: TaskEvents;
  /** What outputs are made from (recorded after each write, named in a conflict). */
  readonly recipes?: RecipeBook;
  /** Paid work of this run's output folders (remote providers): claims, states, uncertain submits. */
  readonly ledger?: Ledger;
  /** Send again a submit whose answer was lost and that the task list could not resolve (may pay twice). */
  readonly resubmitUncertain?: boolean;
  /** Looks in the provider's task list for the tasks of lost submits (shared by a run). */
  readonly resolver?: UncertainResolver;
  /** When the run started (ms): under --overwrite, an output written since was made by a concurrent run. */
  readonly runStartedAt?: number;
  /** Where the run's tasks ask for their state: one list request answers many (see status-hub.ts). */
  readonly hub?: StatusHub;
  /** What the run learns and changes as its inputs go (one per run, shared by them all). */
  readonly state: RunState;
}

/** The run's mutable part: what its inputs learn, and what one input's answer changes for the others. */
export interface RunState {
  /** How long this run's tasks take (times the polls of a batch). */
  readonly durations: DurationEstimate;
  /** How long like tasks take, this run and earlier ones (loaded and saved by the run's caller). */
  readonly model?: DurationModel;
  /** Submits of this run in flight: recovery waits for their answers before reading the list. */
  readonly inflight: Set<Promise<unknown>>;
  /** Under `upscale` (not resume nor download): the first submit goes alone, a refusal stops the rest. */
  readonly submits?: SubmitGate;
}

/** How the submits of an `upscale` run go: the first alone, none after a refusal all would meet. */
export interface SubmitGate {
  /** Submits go one at a time until the provider accepts one (a wrong key is met once, not per input). */
  readonly first: FirstSubmit;
  /**
   * Set once the provider refused the key, the credits or the endpoint, said the key's daily
   * limit is reached, or its host cannot be reached: no more submits this run (each would fail
   * the same way; see stopsSubmitting).
   */
  stoppedBy?: UpscaleError;
}

/** A run's state at its start: nothing learnt; `gated` for an `upscale` run's submits (see SubmitGate). */
export function newRunState(options: { gated?: boolean; model?: DurationModel } = {}): RunState {
  return {
    durations: new DurationEstimate(),
    inflight: new Set(),
    ...(options.model ? { model: options.model } : {}),
    ...(options.gated ? { submits: { first: new FirstSubmit() } } : {}),
  };
}

/** A run whose tasks go to the provider's API: the remote backend's view of the run. */
export type RemoteRun = RunContext & { readonly connection: Connection };

/** What one input is made with: the run's options under `upscale`, its ledger entry's under `upscale resume`. */
export interface InputSettings {
  readonly params: ParamValues;
  /** Format, quality, metadata, background and size of the output (default: the bytes' format, metadata kept). */
  readonly output?: OutputOptions;
  /** Replace an existing output (--overwrite). */
  readonly overwrite: boolean;
}

/** One input of a run: the planned item, what it is made with, and its output's plan. */
export interface InputTask extends InputSettings {
  readonly item: InputItem;
  readonly plan: OutputPlan;
}

export function errorOf(error: unknown): TaskError {
  const e = toUpscaleError(error);
  return {
    code: e.code,
    message: e.message,
    ...(e.hint !== undefined ? { hint: e.hint } : {}),
    ...(e.requestId !== undefined ? { requestId: e.requestId } : {}),
  };
}
