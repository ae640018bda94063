/**
 * Finds the task that a submit may have created when its answer never arrived (a reset after
 * sending, a timeout, or a process killed mid-submit). Uses the provider's list endpoint:
 * tasks this machine never recorded are candidates; a candidate is ours when its result looks
 * like our input (small grey thumbnails compared), so two inputs in flight are not confused.
 * No unknown task at all means the submit never created one, and sending it again is safe.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { UpscaleError } from '../errors.js';
import { downloadToTemp } from '../image/download.js';
import { isLocalProvider, type ParsedTask, type Size } from '../providers/types.js';
import { pollUntilFinal } from './poll.js';
import { type Connection, fetchTaskState, listTasks } from './provider-api.js';
import type { InputItem, TaskJournal } from './run-task.js';

const THUMB = 16;

/** A candidate's result as a grey thumbnail and its size; `failed` tasks are not ours to worry about. */
type Thumb = { pixels: Buffer; width: number; height: number } | 'failed' | 'unavailable';
/** Mean absolute difference (0–255) below which a result is taken as an upscale of the input. */
const MATCH_THRESHOLD = 24;

export type Recovery =
  | { found: { taskId: string; submittedAt: number } }
  | { found: undefined; safeToResubmit: true };

/** Shared by all inputs of a run: candidates are examined once and claimed once. */
export class SubmitRecovery {
  private readonly claimed = new Set<string>();
  private readonly thumbs = new Map<string, Promise<Thumb>>();

  constructor(
    private readonly conn: Connection,
    private readonly journal: TaskJournal,
    private readonly options: { pollIntervalMs: number; timeoutMs: number; signal?: AbortSignal | undefined },
  ) {}

  canRecover(): boolean {
    const { provider } = this.conn;
    return !isLocalProvider(provider) && provider.listRequest !== undefined;
  }

  /** `expected`: the output size this input should produce, when known (a second test besides content). */
  async recover(item: InputItem, since: number, expected?: Size): Promise<Recovery> {
    if (!this.canRecover()) {
      // Said once, then forgotten: the next run submits again, knowingly.
      await this.journal.remove(item);
      throw new UpscaleError(
        'SUBMIT_UNCERTAIN',
        `${item.input}: a submit to ${this.conn.provider.id} may have created a task, but its answer was lost`,
        {
          hint: `${this.conn.provider.id} has no task list to check: look at its dashboard; the next run submits again`,
        },
      );
    }
    const known = await this.journal.knownTaskIds();
    const listed: readonly ParsedTask[] = await listTasks(this.conn, this.options.signal);
    const candidates = listed.map((t) => t.taskId).filter((id) => !known.has(id) && !this.claimed.has(id));
    if (candidates.length === 0) return { found: undefined, safeToResubmit: true };
    if (item.kind === 'url' && candidates.length === 1) return this.claim(candidates[0]!, since);
    const wanted = await thumbnail(item.input);
    let best: { id: string; score: number } | undefined;
    let unexamined = 0;
    for (const id of candidates) {
      const thumb = await this.candidateThumb(id, item);
      if (thumb === 'unavailable' || !wanted) unexamined++;
      if (thumb === 'unavailable' || thumb === 'failed' || !wanted || this.claimed.has(id)) continue;
      // Same picture at another size (two copies of one image, resized) is not this input's task.
      if (!sameShape(thumb, wanted, expected)) continue;
      const score = meanDifference(thumb.pixels, wanted.pixels);
      if (score <= MATCH_THRESHOLD && (!best || score < best.score)) best = { id, score };
    }
    if (best) return this.claim(best.id, since);
    // Every unknown task was looked at and none is an upscale of this input: the submit made none.
    if (unexamined === 0) return { found: undefined, safeToResubmit: true };
    throw new UpscaleError(
      'SUBMIT_UNCERTAIN',
      `${item.input}: a submit may have created a task, and ${unexamined} unknown task(s) could not be checked`,
      {
        hint: 'check the provider dashboard; run the same command again later to look once more',
      },
    );
  }

  private claim(taskId: string, submittedAt: number): Recovery {
    this.claimed.add(taskId);
    return { found: { taskId, submittedAt } };
  }

  /** Waits for a candidate to finish and thumbnails its result. */
  private candidateThumb(taskId: string, item: InputItem): Promise<Thumb> {
    let thumb = this.thumbs.get(taskId);
    if (!thumb) {
      thumb = (async () => {
        const final = await pollUntilFinal({
          taskId,
          submittedAt: Date.now(),
          firstIntervalMs: this.options.pollIntervalMs,
          deadline: Date.now() + this.options.timeoutMs,
          signal: this.options.signal,
          fetchState: () => fetchTaskState(this.conn, taskId, this.options.signal),
        });
        if (final.status !== 'succeeded' || !final.urls[0]) return 'failed' as const;
        const probe = join(item.target.dir, `.recover-${taskId.slice(0, 8)}`);
        const downloaded = await downloadToTemp(this.conn.client, final.urls[0], probe, this.options.signal);
        try {
          return (await thumbnail(downloaded.tempPath)) ?? ('unavailable' as const);
        } finally {
          await rm(downloaded.tempPath, { force: true });
        }
      })().catch(() => 'unavailable' as const);
      this.thumbs.set(taskId, thumb);
    }
    return thumb;
  }
}

async function thumbnail(path: string): Promise<Exclude<Thumb, string> | undefined> {
  const sharp = (await import('sharp')).default;
  try {
    const meta = await sharp(path).metadata();
    const pixels = await sharp(path).resize(THUMB, THUMB, { fit: 'fill' }).greyscale().raw().toBuffer();
    return { pixels, width: meta.width ?? 0, height: meta.height ?? 0 };
  } catch {
    return undefined;
  }
}

/**
 * The expected size when known (to the pixel: a neighbour in a batch may differ by just one or
 * two), otherwise the input's aspect ratio (within 2 %).
 */
function sameShape(candidate: Size, input: Size, expected: Size | undefined): boolean {
  if (expected) {
    const near = (a: number, b: number) => Math.abs(a - b) <= 1;
    return (
      (near(candidate.width, expected.width) && near(candidate.height, expected.height)) ||
      (near(candidate.width, expected.height) && near(candidate.height, expected.width))
    );
  }
  const a = candidate.width / candidate.height;
  const b = input.width / input.height;
  return Math.abs(a - b) / b <= 0.02;
}

function meanDifference(a: Buffer, b: Buffer): number {
  const n = Math.min(a.length, b.length);
  let sum = 0;
  for (let i = 0; i < n; i++) sum += Math.abs(a[i]! - b[i]!);
  return n === 0 ? 255 : sum / n;
}
