/**
 * Decides what became of a submit whose answer was lost (a 5xx, an HTML page, broken JSON, a
 * reset or timeout after sending, or a process killed mid-submit). Only the provider's task list
 * can tell, and recovery never guesses:
 *
 * - a listed task is a candidate only if no entry knows it, it was not listed before the submit
 *   started, and it did not fail;
 * - a candidate is this input's task only if its result, decoded in colour, is clearly closest to
 *   this input — closer by a wide margin than to any other candidate, and than to the other inputs
 *   of the run whose submits were lost too;
 * - no candidate at all, or only candidates whose results are clearly other pictures (another
 *   shape, even with the input's sides floored to a multiple of 4, or colours far from the
 *   input), means the submit created nothing: it is sent again;
 * - anything else is undecided: the input is reported with the candidates, and nothing is sent.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { downloadToTemp } from '../image/download.js';
import { decodeThumbnail, type Thumbnail, thumbnailDistance } from '../image/thumbnail.js';
import type { ListedTask } from '../providers/types.js';
import type { Ledger } from './ledger/ledger.js';
import { pollUntilFinal } from './poll.js';
import { type Connection, fetchTaskState, hasTaskList, listAllTasks } from './provider-api.js';

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
  /** Told of each API request made in looking for its task (counted in its `requests`). */
  readonly onSent?: (() => void) | undefined;
}

/** A result this far from its input (0–255 per channel, 64×64 colour) is not an upscale of it. */
const MATCH_MAX = 20;
/** The runner-up must be at least this much farther, and twice as far, to call the best one clear. */
const MARGIN = 6;
/** Aspect ratios differing by more than this are different pictures (providers round sides a little). */
const ASPECT_TOLERANCE = 0.03;
/** Creative floors the input's sides to a multiple of this before scaling (seen live). */
const SIDE_MULTIPLE = 4;
/** A list may lag a submit by a moment: a task created just now may not be listed yet. */
export const SETTLE_MS = 2000;

type Examined = { readonly thumb: Thumbnail } | 'failed' | 'unavailable';

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
  private readonly inputThumbs = new Map<string, Promise<Thumbnail[]>>();
  private readonly examined = new Map<string, Promise<Examined>>();
  /** Candidates given to an input by this run. */
  private readonly adopted = new Set<string>();
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
    let listed: ListedTask[];
    try {
      listed = await listAllTasks(this.conn, this.options.signal, { onSent: () => claimant.onSent?.() });
    } catch (error) {
      const why = `the task list could not be read (${(error as Error).message})`;
      return { kind: 'undecided', why, candidates: [] };
    }
    const candidates = await this.candidatesFor(claimant, listed);
    if (candidates.length === 0) return { kind: 'none' };
    return this.match(claimant, candidates, probeDir);
  }

  /** Listed tasks that could be the lost submit's (see the module comment). */
  private async candidatesFor(claimant: Claimant, listed: readonly ListedTask[]): Promise<string[]> {
    const known = await this.ledger.knownTaskIds();
    const firstSeen = (await this.ledger.home?.firstSeen(listed.map((t) => t.taskId))) ?? new Map();
    // Clocks of this machine only (first-seen times are ours); a second of slack for coarse timers.
    const since = claimant.startedAt - 1000;
    return listed
      .filter((t) => !known.has(t.taskId) && !this.adopted.has(t.taskId))
      .filter((t) => t.state.status !== 'failed')
      .filter((t) => (firstSeen.get(t.taskId) ?? Date.now()) >= since)
      .filter((t) => t.createdAt === undefined || t.createdAt >= since - 60_000)
      .map((t) => t.taskId);
  }

  private async match(
    claimant: Claimant,
    candidates: readonly string[],
    probeDir: string,
  ): Promise<Resolution> {
    const mine = await this.thumbsOf(claimant);
    if (mine.length === 0) {
      return { kind: 'undecided', why: `${claimant.input} could not be read to compare`, candidates };
    }
    const scored: { id: string; distance: number; thumb: Thumbnail }[] = [];
    let unexamined = 0;
    for (const id of candidates) {
      const result = await this.examine(id, probeDir, claimant);
      if (result === 'unavailable') unexamined++;
      if (typeof result === 'string' || !sameShape(result.thumb, mine)) continue;
      scored.push({ id, distance: distanceTo(result.thumb, mine), thumb: result.thumb });
    }
    scored.sort((a, b) => a.distance - b.distance);
    const best = scored[0];
    const clear = (d: number) =>
      best !== undefined && d >= Math.max(2 * best.distance, best.distance + MARGIN);
    if (best && best.distance <= MATCH_MAX && scored.slice(1).every((s) => clear(s.distance))) {
      const rivals = await this.otherClaimantsNear(claimant, best.thumb);
      if (rivals.every(clear)) {
        this.adopted.add(best.id);
        this.ledger.noteTaskId(best.id);
        return { kind: 'found', taskId: best.id };
      }
    }
    if (unexamined === 0 && scored.every((s) => s.distance > MATCH_MAX)) return { kind: 'none' };
    const why =
      unexamined > 0
        ? `${unexamined} unknown task(s) could not be examined`
        : 'more than one listed task looks like this input';
    return { kind: 'undecided', why, candidates };
  }

  /** How close `thumb` is to each other input of this run whose submit was lost. */
  private async otherClaimantsNear(claimant: Claimant, thumb: Thumbnail): Promise<number[]> {
    const distances: number[] = [];
    for (const other of this.claimants.values()) {
      if (other.key === claimant.key) continue;
      const theirs = await this.thumbsOf(other);
      if (theirs.length > 0 && sameShape(thumb, theirs)) distances.push(distanceTo(thumb, theirs));
    }
    return distances;
  }

  /** The input as stored and as displayed (a provider may or may not turn it upright). */
  private thumbsOf(claimant: Claimant): Promise<Thumbnail[]> {
    let thumbs = this.inputThumbs.get(claimant.key);
    if (!thumbs) {
      const path = claimant.imagePath;
      thumbs = path
        ? Promise.all([decodeThumbnail(path), decodeThumbnail(path, true)]).then((t) =>
            t.filter((x): x is Thumbnail => x !== undefined),
          )
        : Promise.resolve([]);
      this.inputThumbs.set(claimant.key, thumbs);
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
        const downloaded = await downloadToTemp(this.conn.client, url, probe, {
          signal,
          deadlineMs: timeoutMs,
        });
        await rm(downloaded.tempPath, { force: true });
        return downloaded.thumbnail ? { thumb: downloaded.thumbnail } : 'unavailable';
      })().catch(() => 'unavailable' as const);
      this.examined.set(taskId, result);
    }
    return result;
  }
}

/**
 * A result has the input's shape, as stored or turned (providers may apply the orientation): its
 * aspect ratio is the input's, or that of the input's sides floored to a multiple of 4 (as seen
 * live), within ASPECT_TOLERANCE. The floored shape matters on small inputs: 34×16 comes back as
 * 64×32, 6 % off, and a task ruled out by its shape makes a lost submit look like nothing was
 * created (sent again: paid twice). Any looser, and two inputs of one colour and different widths
 * could take each other's result.
 */
function sameShape(result: Thumbnail, inputs: readonly Thumbnail[]): boolean {
  const r = result.width / result.height;
  const floored = (side: number) => Math.max(SIDE_MULTIPLE, side - (side % SIDE_MULTIPLE));
  const near = (w: number, h: number) =>
    Math.abs(r / (w / h) - 1) <= ASPECT_TOLERANCE || Math.abs(r / (h / w) - 1) <= ASPECT_TOLERANCE;
  return inputs.some(({ width, height }) => near(width, height) || near(floored(width), floored(height)));
}

function distanceTo(result: Thumbnail, inputs: readonly Thumbnail[]): number {
  return Math.min(...inputs.map((input) => thumbnailDistance(result, input)));
}
