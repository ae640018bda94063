/**
 * A ledger entry: what is known of one output's paid work, written before each side effect.
 *
 *   (no entry) ─claim─▶ submitting ─answer─▶ submitted(taskId) ─final─▶ completed(urls)
 *        ▲                  │                                               │
 *        │             lost answer                                  committing(path)
 *        │                  ▼                                               │
 *        └── refused ── uncertain(startedAt) ──found in list──▶ submitted   ▼
 *                                                              output written: entry removed
 *
 * An entry is removed only when its output is committed, when the provider says the task failed
 * or was cancelled, when a submit was refused outright (nothing was created), or by `upscale forget`.
 */
import type { OutputOptions } from '../../image/output-options.js';
import type { ParamValues } from '../../providers/types.js';
import type { OutputTarget } from '../naming.js';

export const LEDGER_VERSION = 2 as const;

/**
 * The newest task the provider's list showed before the run's first submit (null: the list was
 * empty): only tasks listed above it can be this submit's (see resolve-uncertain.ts).
 */
export type NewestListed = string | null;

/** The states an entry can be in; `claimed` is the lock itself, `committed` and `failed` remove the entry. */
export type LedgerState =
  /** Written just before the submit is sent: a process that dies now leaves a task that may exist. */
  | { readonly state: 'submitting'; readonly startedAt: number; readonly newestListed?: NewestListed }
  /** The submit may have created a task (lost answer, 5xx, HTML, broken JSON, killed mid-submit). */
  | {
      readonly state: 'uncertain';
      readonly startedAt: number;
      readonly newestListed?: NewestListed;
      readonly reason: string;
      /** Listed tasks that could be this one, when the list could not tell which. */
      readonly candidates?: readonly string[];
    }
  | { readonly state: 'submitted'; readonly taskId: string; readonly submittedAt: number }
  | {
      readonly state: 'completed';
      readonly taskId: string;
      readonly submittedAt: number;
      readonly urls: readonly string[];
      /** Results already in place (a task with several results, cut off between two); 0 when absent. */
      readonly written?: number;
    }
  /** Written just before the verified file is renamed to `path`: a crash after the rename is reconciled. */
  | {
      readonly state: 'committing';
      readonly taskId: string;
      readonly submittedAt: number;
      readonly urls: readonly string[];
      /** Results already in place before this one, which is `urls[written]`; 0 when absent. */
      readonly written?: number;
      /** The verified, finished file, and the name it is being moved to. */
      readonly temp: string;
      readonly outputPath: string;
    };

/** What the entry's task was made from: a run with another recipe must not collect it as its own. */
export interface Recipe {
  readonly provider: string;
  readonly baseUrl: string;
  readonly params: ParamValues;
  /** sha256 of a file input's bytes when it was submitted. */
  readonly contentHash?: string;
}

export type LedgerEntry = LedgerState &
  Recipe & {
    readonly version: typeof LEDGER_VERSION;
    /** The input as the user gave it. */
    readonly input: string;
    /** Absolute path of a file input, so `upscale resume` works from any folder. */
    readonly path?: string;
    readonly kind: 'file' | 'url';
    /** Where the output goes, resolved to absolute folders. */
    readonly target: OutputTarget;
    /** How the output is finished, so `upscale resume` writes the same file. */
    readonly output?: OutputOptions;
    /** The run asked to replace an existing output. */
    readonly overwrite?: boolean;
    readonly recordedAt: string;
  };

/** The task id an entry knows, if any. */
export function taskIdOf(entry: LedgerState): string | undefined {
  return 'taskId' in entry ? entry.taskId : undefined;
}

/** True while a submit may have created a task that nobody knows the id of. */
export function isUnresolved(entry: LedgerState): entry is Extract<LedgerState, { startedAt: number }> {
  return entry.state === 'submitting' || entry.state === 'uncertain';
}

function canonical(params: ParamValues): string {
  return JSON.stringify(Object.fromEntries(Object.entries(params).sort(([a], [b]) => (a < b ? -1 : 1))));
}

/** Same provider, API root, parameters and input bytes: the entry's task is this input's result. */
export function sameRecipe(a: Recipe, b: Recipe): boolean {
  return (
    a.provider === b.provider &&
    a.baseUrl.replace(/\/+$/, '') === b.baseUrl.replace(/\/+$/, '') &&
    canonical(a.params) === canonical(b.params) &&
    (a.contentHash === undefined || b.contentHash === undefined || a.contentHash === b.contentHash)
  );
}

/** Reads an entry from JSON text; undefined for anything that is not a version-2 entry. */
export function parseEntry(text: string): LedgerEntry | undefined {
  try {
    const entry = JSON.parse(text) as LedgerEntry;
    if (entry.version !== LEDGER_VERSION || typeof entry.input !== 'string') return undefined;
    if (isUnresolved(entry)) return typeof entry.startedAt === 'number' ? entry : undefined;
    return typeof taskIdOf(entry) === 'string' ? entry : undefined;
  } catch {
    return undefined;
  }
}
