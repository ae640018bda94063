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
 * Every state is made by one function, `next(state, event)` in transitions.ts, which also lists
 * which events each state takes: a new state or event is added there (and its table test).
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

/** What an entry file holds: an entry this version can act on, or why it cannot. */
export type ReadEntry =
  | { readonly entry: LedgerEntry; readonly unreadable?: undefined }
  | {
      readonly entry?: undefined;
      /** Why it cannot be used, for a message: damaged, or written by a newer version. */
      readonly unreadable: string;
      /** What could be made out of it (a newer version's entry still names its input and task). */
      readonly seen?: { readonly input?: string; readonly path?: string; readonly taskId?: string };
    };

const text = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

/**
 * Reads an entry from JSON text. Anything that is not a whole version-2 entry is said to be
 * unreadable, never taken for "no entry": it may stand for a paid task, and whoever reads it must
 * stop rather than pay again or write over it.
 */
export function parseEntry(json: string): ReadEntry {
  let value: Partial<LedgerEntry> & { version?: unknown };
  try {
    value = JSON.parse(json) as typeof value;
  } catch {
    return { unreadable: 'it is not whole JSON (truncated or damaged)' };
  }
  if (typeof value !== 'object' || value === null)
    return { unreadable: 'it is not a ledger entry (damaged)' };
  const [input, path, taskId] = [value.input, value.path, (value as { taskId?: unknown }).taskId].map(text);
  const seen = {
    ...(input === undefined ? {} : { input }),
    ...(path === undefined ? {} : { path }),
    ...(taskId === undefined ? {} : { taskId }),
  };
  if (typeof value.version === 'number' && value.version > LEDGER_VERSION)
    return {
      unreadable: `it was written by a newer version of upscale (ledger version ${value.version}; this one reads ${LEDGER_VERSION})`,
      seen,
    };
  const entry = value as LedgerEntry;
  const whole =
    entry.version === LEDGER_VERSION &&
    typeof entry.input === 'string' &&
    (isUnresolved(entry) ? typeof entry.startedAt === 'number' : typeof taskIdOf(entry) === 'string');
  return whole ? { entry } : { unreadable: 'it is not a whole ledger entry (damaged)', seen };
}
