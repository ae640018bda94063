/**
 * The ledger's state machine, written once: `next(state, event)` is the state an entry takes on
 * `event`, `undefined` when the entry goes (nothing is pending for its output any more), or a
 * Refusal when the event cannot happen in that state. Every state an entry is given is made here;
 * callers record it (LedgerSlot.write) or remove the entry. A state of `undefined` is "no entry".
 *
 *   event        from                      to
 *   submit       (none)                    submitting      written just before the submit goes
 *   answered     submitting                submitted       the provider gave a task id
 *   answerLost   submitting                uncertain       a lost answer: a task may exist
 *   refused      submitting                (none)          refused outright: nothing was created
 *   found        submitting, uncertain     submitted       the task list shows its task
 *   undecided    submitting, uncertain     uncertain       the list cannot tell (with candidates)
 *   resend       submitting, uncertain     (none)          it created nothing: sent again, or dropped
 *   known        (none)                    submitted       a task id given by hand (`upscale download`)
 *   finished     submitted                 completed       the task gave its result URLs
 *   taskFailed   submitted                 (none)          the provider says it failed
 *   urlsExpired  completed, committing     submitted       kept URLs refused: asked for fresh ones
 *   commit       completed, committing     committing      a verified result is about to take its name
 *   committed    committing                completed       in place, more results to come
 *                                          (none)          in place, the task's last result
 *
 * `submitting` is left like `uncertain` by recovery: a run killed mid-submit leaves it. An entry
 * goes only through the transitions to (none), or by `upscale forget`; see docs/ledger.md.
 */
import { UpscaleError } from '../../errors.js';
import type { LedgerEntry, LedgerState, NewestListed } from './entry.js';

/** The names of the states, in the order an entry goes through them. */
export const LEDGER_STATES = ['submitting', 'uncertain', 'submitted', 'completed', 'committing'] as const;
export type LedgerStateName = (typeof LEDGER_STATES)[number];

type StateOf<N extends LedgerStateName> = Extract<LedgerState, { state: N }>;
export type Submitting = StateOf<'submitting'>;
export type Uncertain = StateOf<'uncertain'>;
export type Submitted = StateOf<'submitted'>;
export type Completed = StateOf<'completed'>;
export type Committing = StateOf<'committing'>;
/** A submit that may have created a task nobody knows the id of. */
export type Unresolved = Submitting | Uncertain;
/** A task that exists (and is paid): its id is known. */
export type Paid = Submitted | Completed | Committing;

/** The reason an `uncertain` entry made from a `submitting` one gives (a run stopped mid-submit). */
export const STOPPED_MID_SUBMIT = 'a run stopped while its submit was in flight';

export type LedgerEvent =
  /** The submit is about to be sent (written before it goes). */
  | { readonly type: 'submit'; readonly startedAt: number; readonly newestListed?: NewestListed | undefined }
  /** The provider answered the submit with a task id. */
  | { readonly type: 'answered'; readonly taskId: string; readonly submittedAt: number }
  /** The submit's answer was lost: a task may exist (`reason`: what happened, without secrets). */
  | { readonly type: 'answerLost'; readonly reason: string }
  /** The submit was refused outright: nothing was created. */
  | { readonly type: 'refused' }
  /** The task list shows the lost submit's task. */
  | { readonly type: 'found'; readonly taskId: string }
  /** The task list could not tell (listed tasks that could be its own, or no list to look in). */
  | { readonly type: 'undecided'; readonly candidates: readonly string[] }
  /** The lost submit created nothing (or --resubmit-uncertain): it is sent again, or dropped. */
  | { readonly type: 'resend' }
  /** A task id given by hand (`upscale download <id>`). */
  | { readonly type: 'known'; readonly taskId: string; readonly submittedAt: number }
  /** The task finished with results (`written`: results already in place, from before). */
  | { readonly type: 'finished'; readonly urls: readonly string[]; readonly written?: number }
  /** The provider says the task failed or was cancelled. */
  | { readonly type: 'taskFailed' }
  /** The kept result URLs are refused (expired): the task is asked for fresh ones. */
  | { readonly type: 'urlsExpired' }
  /** The next verified result is about to be moved to `outputPath` (or was kept aside as `temp`). */
  | { readonly type: 'commit'; readonly temp: string; readonly outputPath: string }
  /** The result being moved is in place. */
  | { readonly type: 'committed' };

export type LedgerEventType = LedgerEvent['type'];

/** What `next` gives for each event, when the event is legal. */
interface Outcome {
  submit: Submitting;
  answered: Submitted;
  answerLost: Uncertain;
  refused: undefined;
  found: Submitted;
  undecided: Uncertain;
  resend: undefined;
  known: Submitted;
  finished: Completed;
  taskFailed: undefined;
  urlsExpired: Submitted;
  commit: Committing;
  committed: Completed | undefined;
}

/** The state after an event, when it is legal (undefined: the entry goes). */
export type After<E extends LedgerEvent> = Outcome[E['type']];

/** The states each event may leave (`none`: no entry). Everything else is refused. */
export const LEGAL_FROM: { readonly [T in LedgerEventType]: readonly (LedgerStateName | 'none')[] } = {
  submit: ['none'],
  answered: ['submitting'],
  answerLost: ['submitting'],
  refused: ['submitting'],
  found: ['submitting', 'uncertain'],
  undecided: ['submitting', 'uncertain'],
  resend: ['submitting', 'uncertain'],
  known: ['none'],
  finished: ['submitted'],
  taskFailed: ['submitted'],
  urlsExpired: ['completed', 'committing'],
  commit: ['completed', 'committing'],
  committed: ['committing'],
};

/** An event that cannot happen in a state: a bug of the caller, never written to the ledger. */
export class Refusal {
  constructor(
    readonly from: LedgerStateName | 'none',
    readonly event: LedgerEventType,
  ) {}

  get message(): string {
    return `the ledger cannot take '${this.event}' in state '${this.from}' (legal from: ${LEGAL_FROM[this.event].join(', ')})`;
  }
}

export function isRefusal(value: unknown): value is Refusal {
  return value instanceof Refusal;
}

const nameOf = (state: LedgerState | undefined): LedgerStateName | 'none' => state?.state ?? 'none';

/** `written` results in place, said only when there are some (entries written so far omit 0). */
const writtenField = (written: number | undefined): { written?: number } =>
  written !== undefined && written > 0 ? { written } : {};

/**
 * The state after `event` in `state` (undefined: no entry), or a Refusal. Only the state's own
 * fields are read and made: an entry's recipe and target are the caller's to keep.
 */
export function next<E extends LedgerEvent>(
  state: LedgerState | undefined,
  event: E,
): Outcome[E['type']] | Refusal {
  const from = nameOf(state);
  if (!LEGAL_FROM[event.type].includes(from)) return new Refusal(from, event.type);
  return step(state, event) as Outcome[E['type']];
}

/** Like `next`, but a refused event throws (INTERNAL: the run core asked for what cannot be). */
export function advance<E extends LedgerEvent>(state: LedgerState | undefined, event: E): Outcome[E['type']] {
  const after = next(state, event);
  if (after instanceof Refusal)
    throw new UpscaleError('INTERNAL', after.message, {
      hint: 'this is a bug in upscale: please report it with the output of --verbose (keys are hidden)',
    });
  return after as Outcome[E['type']];
}

/** The transitions themselves; `state` is one `LEGAL_FROM` allows for the event. */
function step(state: LedgerState | undefined, event: LedgerEvent): LedgerState | undefined {
  switch (event.type) {
    case 'submit':
      return {
        state: 'submitting',
        startedAt: event.startedAt,
        ...(event.newestListed === undefined ? {} : { newestListed: event.newestListed }),
      };
    case 'answered':
    case 'known':
      return { state: 'submitted', taskId: event.taskId, submittedAt: event.submittedAt };
    case 'answerLost': {
      const { startedAt, newestListed } = state as Unresolved;
      return {
        state: 'uncertain',
        startedAt,
        ...(newestListed === undefined ? {} : { newestListed }),
        reason: event.reason,
      };
    }
    case 'found':
      return { state: 'submitted', taskId: event.taskId, submittedAt: (state as Unresolved).startedAt };
    case 'undecided': {
      const lost = state as Unresolved;
      return {
        state: 'uncertain',
        startedAt: lost.startedAt,
        ...(lost.newestListed === undefined ? {} : { newestListed: lost.newestListed }),
        reason: lost.state === 'uncertain' ? lost.reason : STOPPED_MID_SUBMIT,
        ...(event.candidates.length > 0 ? { candidates: event.candidates } : {}),
      };
    }
    case 'finished': {
      const { taskId, submittedAt } = state as Submitted;
      return { state: 'completed', taskId, submittedAt, urls: event.urls, ...writtenField(event.written) };
    }
    case 'urlsExpired': {
      const { taskId, submittedAt } = state as Completed | Committing;
      return { state: 'submitted', taskId, submittedAt };
    }
    case 'commit': {
      const { taskId, submittedAt, urls, written } = state as Completed | Committing;
      return {
        state: 'committing',
        taskId,
        submittedAt,
        urls,
        ...writtenField(written),
        temp: event.temp,
        outputPath: event.outputPath,
      };
    }
    case 'committed': {
      const { taskId, submittedAt, urls, written } = state as Committing;
      const inPlace = (written ?? 0) + 1;
      return inPlace < urls.length
        ? { state: 'completed', taskId, submittedAt, urls, written: inPlace }
        : undefined;
    }
    case 'refused':
    case 'resend':
    case 'taskFailed':
      return undefined;
  }
}

/** Every field a state may have: what an entry drops when it takes another state. */
const STATE_FIELDS = [
  'state',
  'startedAt',
  'newestListed',
  'reason',
  'candidates',
  'taskId',
  'submittedAt',
  'urls',
  'written',
  'temp',
  'outputPath',
] as const;

/** The entry at another state: its recipe, input and target kept, the old state's fields gone. */
export function entryAt(entry: LedgerEntry, state: LedgerState, recordedAt = new Date()): LedgerEntry {
  const rest: Record<string, unknown> = { ...entry };
  for (const field of STATE_FIELDS) delete rest[field];
  return { ...rest, ...state, recordedAt: recordedAt.toISOString() } as LedgerEntry;
}

/** A task exists and has given its results (some may be in place already). */
export function hasResults(state: LedgerState | undefined): state is Completed | Committing {
  return state?.state === 'completed' || state?.state === 'committing';
}

/** A verified result was being moved into place. */
export function isCommitting<S extends LedgerState>(state: S | undefined): state is Extract<S, Committing> {
  return state?.state === 'committing';
}
