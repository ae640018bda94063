/**
 * The programmatic API: `upscale(input, options)` and `upscaleBatch(inputs, options)`. The CLI runs
 * the same code (src/api/run.ts) with a reporter on its callbacks. The library reads no environment
 * and touches no terminal: keys and API roots come from `options` or from the `env` passed in.
 */
import { resolve } from 'node:path';
import type { ImageFormat } from '../formats.js';
import type { RetryEvent } from '../http/client.js';
import { type ConfigReader, type Env, normalizeOptions, type OptionValues } from '../options.js';
import type { ProviderId } from '../providers/index.js';
import type { AuthStyle } from '../providers/types.js';
import { isUrlInput } from '../run/naming.js';
import type { TaskResult } from '../run/run-task.js';
import { connect } from './connection.js';
import { executeRun, planRun, type RunEvents } from './run.js';

export interface UpscaleEvents extends RunEvents {
  /** A request is retried (429, 5xx, network). */
  onRetry?(event: RetryEvent): void;
  /** One line per request sent (keys redacted), as `--verbose` prints. */
  onLog?(line: string): void;
}

/**
 * The library's options, typed; checked once (normalizeOptions) before anything is sent, so a bad
 * value rejects with a usage UpscaleError naming it.
 */
export interface UpscaleOptions extends OptionValues {
  /** Default `freepik` (Magnific Upscaler Creative). */
  readonly provider?: ProviderId;
  readonly keyHeader?: AuthStyle;
  /** `keep` (the input's) or a format to convert to; default: as the provider returns it. */
  readonly format?: ImageFormat | 'keep';
  /** Where keys and API roots are looked up (pass `process.env` to behave like the CLI); default none. */
  readonly env?: Env;
  /** An output file (one input with an image extension) or a folder; default: next to each input. */
  readonly output?: string;
  /** Output name template (`{name}@{scale}` by default). */
  readonly name?: string;
  readonly recursive?: boolean;
  readonly overwrite?: boolean;
  /**
   * Paid work is always recorded in each output folder's ledger (`.upscale/`), so a run
   * interrupted and started again pays once. This folder also indexes those ledgers, for the
   * CLI's `upscale status` and `upscale resume` (the CLI passes `journal/` beside its config).
   */
  readonly journalDir?: string;
  /** Send again a submit whose answer was lost when the task list cannot tell (may pay twice). */
  readonly resubmitUncertain?: boolean;
  /** Folder relative inputs and `output` are resolved against (results then name absolute paths). */
  readonly cwd?: string;
  readonly signal?: AbortSignal;
  readonly events?: UpscaleEvents;
}

const NO_CONFIG: ConfigReader = { get: () => undefined };

/**
 * Upscales files, folders, glob patterns and URLs; resolves with one result per input (never
 * rejects for one input's failure: see `status` and `error`). Rejects with an UpscaleError for
 * what stops the whole run before anything is sent (bad option, no key, COST_LIMIT).
 */
export async function upscaleBatch(
  inputs: readonly string[],
  options: UpscaleOptions = {},
): Promise<TaskResult[]> {
  const resolved = normalizeOptions(options, options.env ?? {}, NO_CONFIG);
  const events = options.events;
  const link = connect(resolved, {
    onRetry: events?.onRetry,
    onLog: events?.onLog,
    onBudgetWait: events?.onBudgetWait,
  });
  // Paths are opened where they are given: relative ones are made absolute against `cwd`.
  const cwd = options.cwd;
  const place = (path: string) =>
    cwd === undefined || path === '-' || isUrlInput(path) ? path : resolve(cwd, path);
  try {
    const request = {
      inputs: inputs.map(place),
      options: resolved,
      client: link.client,
      connection: link.connection,
      cwd: cwd ?? '.',
      output: options.output === undefined ? undefined : place(options.output),
      recursive: Boolean(options.recursive),
      name: options.name,
      overwrite: Boolean(options.overwrite),
      dryRun: Boolean(options.dryRun),
      ...(resolved.concurrency !== undefined ? { concurrency: resolved.concurrency } : {}),
      journalDir: options.journalDir,
      resubmitUncertain: Boolean(options.resubmitUncertain),
      signal: options.signal,
    };
    return await executeRun(request, await planRun(request), events);
  } finally {
    await link.close();
  }
}

/** Upscales one image file or URL; resolves with its result. */
export async function upscale(input: string, options: UpscaleOptions = {}): Promise<TaskResult> {
  const [result] = await upscaleBatch([input], options);
  return result!;
}
