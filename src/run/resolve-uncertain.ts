/**
 * Decides what became of a submit whose answer was lost (a 5xx, an HTML page, broken JSON, a
 * reset or timeout after sending, or a process killed mid-submit). Only the provider's task list
 * can tell, and recovery never guesses:
 *
 * - a listed task is a candidate only if no entry and no recipe knows it, it did not fail, and it
 *   is newer than the submit: listed above the newest task the list showed before the run's first
 *   submit (lists are newest first; noted in the entry), else not seen listed before the submit
 *   started. Tasks the account had before are never candidates, and the list is read only down to
 *   that task, not through the account's history;
 * - a candidate's result must have the size expected for the requested scale (exact, or the
 *   input's sides floored to a multiple of 4): another scale of the same picture is not its task;
 * - no candidate at all: the submit created nothing, and it is sent again;
 * - a candidate whose result is clearly this input's (see attribute.ts) is its task;
 * - a candidate whose result is clearly another lost submit's input's (of this run, or pending in
 *   the ledger of one of its output folders) is explained: that input's task;
 * - any candidate left unexplained keeps the input undecided, however its result looks: it is
 *   reported with the candidates and nothing is sent. How a result looks may say "this one", never
 *   "none of these": a creative upscale can look nothing like its input.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { stopsSubmitting, UpscaleError } from '../errors.js';
import { withoutCredentials } from '../http/redact.js';
import { downloadToTemp, maxResultBytes } from '../image/download.js';
import { decodeThumbnail, type Thumbnail } from '../image/thumbnail.js';
import type { ListedTask } from '../providers/types.js';
import { attribute, type ExaminedTask, type InputLooks } from './attribute.js';
import type { NewestListed } from './ledger/entry.js';
import type { Ledger, UnresolvedEntry } from './ledger/ledger.js';
import { type ExpectedSizes, hasExpectedSize } from './output-plan.js';
import { pollUntilFinal } from './poll.js';
import { type Connection, fetchTaskState, hasTaskList, listAllTasks } from './provider-api.js';
import { PRIORITY } from './status-hub.js';

export type Resolution =
  | { readonly kind: 'found'; readonly taskId: string }
  /** The list shows no task this submit could have made: it never arrived. */
  | { readonly kind: 'none' }
  | { readonly kind: 'undecided'; readonly why: string; readonly candidates: readonly string[] };

/** An input whose submit was lost, as recovery compares it. */
export interface Claimant {
  /** Unique per output (the ledger key). */
  readonly key: string;
  readonly input: string;
  /** A readable copy of the input's bytes (the file, or a fetched copy of a URL input). */
  readonly imagePath: string | undefined;
  /** When the lost submit started (ms): tasks listed before cannot be its own. */
  readonly startedAt: number;
  /** The newest task listed before its run's first submit (see NewestListed); undefined: unknown. */
  readonly newestListed?: NewestListed | undefined;
  /** The result's size for the requested scale, when known: a result of another size is not its task. */
  readonly expected?: ExpectedSizes | undefined;
  /** Told of each API request made in looking for its task (counted in its `requests`). */
  readonly onSent?: (() => void) | undefined;
}

/** True when the task's result has the size the claimant's scale gives (or that size is unknown). */
function ofExpectedSize(task: ExaminedTask, expected: ExpectedSizes | undefined): boolean {
  return expected === undefined || hasExpectedSize(task.thumb, expected);
}

/** The longest the first submit of a run waits for the list's newest task (see newestBeforeSubmits). */
const MARK_WAIT_MS = 10_000;

/** A list may lag a submit by a moment: a task created just now may not be listed yet. */
export const SETTLE_MS = 2000;

type Examined = { readonly thumb: Thumbnail } | 'failed' | 'unavailable';

/**
 * What one look at the list knows: the listed tasks, the ids entries and recipes know, the pending
 * lost submits (read after the list, so each listed task's input is in one or the other), and
 * when each task was first seen.
 */
interface Listing {
  readonly listed: readonly ListedTask[];
  /** The tasks listed above the claimant's newest-before task; undefined when the list cannot tell. */
  readonly newer: ReadonlySet<string> | undefined;
  readonly known: ReadonlySet<string>;
  readonly unresolved: readonly UnresolvedEntry[];
  readonly firstSeen: ReadonlyMap<string, number>;
}

/** Another input whose submit is lost too: a rival for each result, and maybe the owner of one. */
interface OtherClaimant {
  readonly startedAt: number;
  readonly looks: InputLooks;
}

export interface ResolverOptions {
  readonly pollIntervalMs: number;
  readonly timeoutMs: number;
  readonly signal?: AbortSignal | undefined;
  /** Resolves once this run has no submit in flight (their tasks are then in the ledger). */
  readonly submitsSettled?: () => Promise<void>;
  readonly settleMs?: number;
}

export class UncertainResolver {
  /** Inputs of this run waiting on a lost submit: each candidate is compared with all of them. */
  private readonly claimants = new Map<string, Claimant>();
  /** Thumbnails of inputs, by ledger key. */
  private readonly inputThumbs = new Map<string, Promise<Thumbnail[]>>();
  private readonly examined = new Map<string, Promise<Examined>>();
  /** Task ids given to this run's inputs (answers, adoptions, resumed entries): each is one input's. */
  private readonly held = new Set<string>();
  /** Of those, the ones this run's submits were answered with: created after its first mark. */
  private readonly answered = new Set<string>();
  /** The newest listed task before this run's first submit, read once (see newestBeforeSubmits). */
  private newest: Promise<NewestListed | undefined> | undefined;
  /** One resolution at a time: each sees the tasks the previous one adopted. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly conn: Connection,
    private readonly ledger: Ledger,
    private readonly options: ResolverOptions,
  ) {}

  canResolve(): boolean {
    return hasTaskList(this.conn);
  }

  /**
   * The newest task the list shows now, asked once per run before its first submit (one request):
   * only tasks listed above it can be this run's. Null when the list is empty; undefined when the
   * provider has no list or it could not be read (recovery then falls back on first-seen times).
   */
  newestBeforeSubmits(onSent?: () => void): Promise<NewestListed | undefined> {
    if (!this.newest) {
      const listed = hasTaskList(this.conn)
        ? listAllTasks(
            this.conn,
            this.options.signal,
            { priority: () => PRIORITY.submit, ...(onSent ? { onSent } : {}) },
            1,
          ).then(
            (tasks) => tasks[0]?.taskId ?? null,
            // An answer every submit would meet too (a refused key, no credits, a wrong API root,
            // a host that cannot be reached) stops the submits here, before one more request;
            // any other failure only costs the mark.
            (error: unknown) => {
              if (error instanceof UpscaleError && stopsSubmitting(error.code)) throw error;
              return undefined;
            },
          )
        : Promise.resolve(undefined);
      // A list that keeps failing (retried with backoff for minutes) must not hold the run's
      // submits back: past MARK_WAIT_MS they go without a mark, and recovery falls back.
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<undefined>((resolve) => {
        timer = setTimeout(resolve, MARK_WAIT_MS, undefined);
        timer.unref();
      });
      this.newest = Promise.race([listed, late]).finally(() => clearTimeout(timer));
    }
    return this.newest;
  }

  /**
   * Notes that `taskId` is one of this run's inputs' tasks (`answered`: a submit of this run was
   * answered with it); false when it already was: an answer naming a task another input of this
   * run holds, which remote-task.ts refuses.
   */
  hold(taskId: string, answered = false): boolean {
    if (this.held.has(taskId)) return false;
    this.held.add(taskId);
    if (answered) this.answered.add(taskId);
    return true;
  }

  resolve(claimant: Claimant, probeDir: string): Promise<Resolution> {
    this.claimants.set(claimant.key, claimant);
    const run = this.queue.then(() => this.resolveNow(claimant, probeDir));
    this.queue = run.catch(() => undefined);
    return run.finally(() => this.claimants.delete(claimant.key));
  }

  private async resolveNow(claimant: Claimant, probeDir: string): Promise<Resolution> {
    if (!this.canResolve()) {
      return {
        kind: 'undecided',
        why: `${this.conn.provider.id} has no task list to look in`,
        candidates: [],
      };
    }
    const settleMs = this.options.settleMs ?? SETTLE_MS;
    const wait = claimant.startedAt + settleMs - Date.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    await this.options.submitsSettled?.();
    let listing: Listing;
    try {
      const mark = claimant.newestListed;
      const listed = await listAllTasks(
        this.conn,
        this.options.signal,
        { onSent: () => claimant.onSent?.() },
        undefined,
        typeof mark === 'string' ? (t) => t.taskId === mark : undefined,
      );
      const { known, unresolved } = await this.ledger.lostSubmitView();
      const firstSeen = (await this.ledger.home?.firstSeen(listed.map((t) => t.taskId))) ?? new Map();
      listing = { listed, newer: this.newerThan(mark, listed), known, unresolved, firstSeen };
    } catch (error) {
      const why = `the task list could not be read (${(error as Error).message})`;
      return { kind: 'undecided', why, candidates: [] };
    }
    const candidates = this.candidatesFor(claimant.startedAt, listing, true);
    if (candidates.length === 0) return { kind: 'none' };
    const mine = await this.thumbsOf(claimant.key, claimant.imagePath);
    if (mine.length === 0) {
      return { kind: 'undecided', why: `${claimant.input} could not be read to compare`, candidates };
    }
    const others = await this.othersThan(claimant, listing.unresolved);
    const { tasks, unexamined, failed } = await this.examineAll(candidates, probeDir, claimant);
    // Another size than the requested scale gives is another task (the same picture at 2x is not
    // a lost 4x); it takes no part in picking, and stays unexplained unless another input owns it.
    const sized = tasks.filter((t) => ofExpectedSize(t, claimant.expected));
    const own = attribute(
      mine,
      sized,
      others.map((o) => o.looks),
    );
    if (own !== undefined) {
      // Noted as known when its entry is written (LedgerSlot.write), not before: a run killed in
      // between must find it a candidate again, not a task of somebody else's.
      this.held.add(own);
      return { kind: 'found', taskId: own };
    }
    const explained = await this.explainedByOthers(others, mine, listing, probeDir, claimant);
    // A candidate that failed meanwhile made nothing to pay for or collect.
    const unexplained = candidates.filter((id) => !explained.has(id) && !failed.has(id));
    if (unexplained.length === 0) return { kind: 'none' };
    const offSize = tasks.length - sized.length;
    const why =
      unexamined > 0
        ? `${unexamined} unknown task(s) created since could not be examined`
        : `${unexplained.length} task(s) created since it was sent belong to no entry, and none is clearly its own${offSize > 0 ? ` (${offSize} of another size than the requested scale gives)` : ''}`;
    return { kind: 'undecided', why, candidates: unexplained };
  }

  /**
   * The tasks listed above `mark` (lists are newest first), or undefined when the list cannot say:
   * no mark, the mark no longer listed, or a task this run's submits created listed below it (the
   * list is not newest first after all). Then first-seen times decide, as before marks were kept.
   */
  private newerThan(mark: NewestListed | undefined, listed: readonly ListedTask[]): Set<string> | undefined {
    if (mark === undefined) return undefined;
    const at = mark === null ? listed.length : listed.findIndex((t) => t.taskId === mark);
    if (at < 0) return undefined;
    if (listed.slice(at + 1).some((t) => this.answered.has(t.taskId))) return undefined;
    return new Set(listed.slice(0, at).map((t) => t.taskId));
  }

  /**
   * Listed tasks that could be the lost submit's of one started at `startedAt` (see the module
   * comment); `own` for the claimant itself, whose list was read down to its mark.
   */
  private candidatesFor(
    startedAt: number,
    { listed, newer, known, firstSeen }: Listing,
    own = false,
  ): string[] {
    // Clocks of this machine only (first-seen times are ours); a second of slack for coarse timers.
    const since = startedAt - 1000;
    return listed
      .filter((t) => !known.has(t.taskId) && !this.held.has(t.taskId))
      .filter((t) => !own || newer === undefined || newer.has(t.taskId))
      .filter((t) => t.state.status !== 'failed')
      .filter((t) => (firstSeen.get(t.taskId) ?? Date.now()) >= since)
      .filter((t) => t.createdAt === undefined || t.createdAt >= since - 60_000)
      .map((t) => t.taskId);
  }

  /**
   * The other inputs whose submits are lost: this run's, and the pending ones in the ledgers of
   * its output folders for this provider and API root (another run's, or a killed one's), when
   * their bytes can be read.
   */
  private async othersThan(
    claimant: Claimant,
    unresolved: readonly UnresolvedEntry[],
  ): Promise<OtherClaimant[]> {
    const others: OtherClaimant[] = [];
    for (const other of this.claimants.values()) {
      if (other.key === claimant.key) continue;
      const looks = await this.thumbsOf(other.key, other.imagePath);
      if (looks.length > 0) others.push({ startedAt: other.startedAt, looks });
    }
    // Entries keep the API root without credentials (see remote-task.ts).
    const root = (url: string) => withoutCredentials(url).replace(/\/+$/, '');
    for (const entry of unresolved) {
      if (entry.key === claimant.key || this.claimants.has(entry.key)) continue;
      if (entry.provider !== this.conn.provider.id || root(entry.baseUrl) !== root(this.conn.baseUrl))
        continue;
      const looks = await this.thumbsOf(entry.key, entry.path);
      if (looks.length > 0) others.push({ startedAt: entry.startedAt, looks });
    }
    return others;
  }

  /**
   * Candidates that another lost submit's input clearly owns, by the same rule that finds an
   * input's own: each is that input's "this one", so it is not unexplained for this one.
   */
  private async explainedByOthers(
    others: readonly OtherClaimant[],
    mine: InputLooks,
    listing: Listing,
    probeDir: string,
    claimant: Claimant,
  ): Promise<Set<string>> {
    const explained = new Set<string>();
    for (const other of others) {
      const theirs = this.candidatesFor(other.startedAt, listing);
      if (theirs.length === 0) continue;
      const { tasks } = await this.examineAll(theirs, probeDir, claimant);
      const rivals = [mine, ...others.filter((o) => o !== other).map((o) => o.looks)];
      const owned = attribute(other.looks, tasks, rivals);
      if (owned !== undefined) explained.add(owned);
    }
    return explained;
  }

  /** The candidates' results, decoded; how many could not be; which failed meanwhile. */
  private async examineAll(
    ids: readonly string[],
    probeDir: string,
    claimant: Claimant,
  ): Promise<{ tasks: ExaminedTask[]; unexamined: number; failed: Set<string> }> {
    const tasks: ExaminedTask[] = [];
    const failed = new Set<string>();
    let unexamined = 0;
    for (const id of ids) {
      const result = await this.examine(id, probeDir, claimant);
      if (result === 'unavailable') unexamined++;
      else if (result === 'failed') failed.add(id);
      else tasks.push({ id, thumb: result.thumb });
    }
    return { tasks, unexamined, failed };
  }

  /** The input as stored and as displayed (a provider may or may not turn it upright). */
  private thumbsOf(key: string, path: string | undefined): Promise<Thumbnail[]> {
    let thumbs = this.inputThumbs.get(key);
    if (!thumbs) {
      thumbs = path
        ? Promise.all([decodeThumbnail(path), decodeThumbnail(path, true)]).then((t) =>
            t.filter((x): x is Thumbnail => x !== undefined),
          )
        : Promise.resolve([]);
      this.inputThumbs.set(key, thumbs);
    }
    return thumbs;
  }
  /** Waits for a candidate to finish and decodes its result. */
  private examine(taskId: string, probeDir: string, claimant: Claimant): Promise<Examined> {
    let result = this.examined.get(taskId);
    if (!result) {
      result = (async (): Promise<Examined> => {
        const { signal, pollIntervalMs, timeoutMs } = this.options;
        const final = await pollUntilFinal({
          taskId,
          submittedAt: Date.now(),
          firstIntervalMs: pollIntervalMs,
          deadline: Date.now() + timeoutMs,
          immediate: true,
          signal,
          // Charged to the input that first asked: a candidate is examined once for all of them.
          fetchState: () => fetchTaskState(this.conn, taskId, signal, { onSent: () => claimant.onSent?.() }),
        });
        if (final.status === 'failed') return 'failed';
        const url = final.urls[0];
        if (!url) return 'unavailable';
        const probe = join(probeDir, `probe-${taskId.slice(0, 12)}`);
        const { limits } = this.conn.provider;
        const downloaded = await downloadToTemp(this.conn.client, url, probe, {
          signal,
          deadlineMs: timeoutMs,
          maxBytes: maxResultBytes(undefined, limits.maxOutputPixels),
        });
        await rm(downloaded.tempPath, { force: true });
        return downloaded.thumbnail ? { thumb: downloaded.thumbnail } : 'unavailable';
      })().catch(() => 'unavailable' as const);
      this.examined.set(taskId, result);
    }
    return result;
  }
}
