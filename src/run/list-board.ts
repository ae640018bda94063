/**
 * Task-list answers shared by the runs that use one API key and one output folder: the shards of
 * a split on a shared volume, pods of an Indexed Job. A list shows every task of the key, so one
 * run's answer serves the others' tasks too; each run posts what its lists show to a file in the
 * folder's ledger, and reads the others' posts while it waits for its own next list. Six shards
 * that each listed on their own every few seconds then learn of a finished task within about a
 * second, and list less often in all (see StatusHub).
 *
 * A post is a hint, never a proof: a task it shows finished is asked for its result on its own
 * request, and a post from a run that has ended is only read once, when it changes. Freshness is
 * told by change, on the reader's clock, never by a time written on another host.
 */
import { createHash, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { ListedTask, TaskState } from '../providers/types.js';
import type { OutputStore } from '../store/output-store.js';

export interface ListBoard {
  /** Tasks another run's list showed since the last look; undefined when nothing new. */
  news(): Promise<readonly ListedTask[] | undefined>;
  /** What this run's list showed. */
  post(tasks: readonly ListedTask[]): Promise<void>;
  /** At the end of the run: its own post goes, and one a killed run left (one a running peer wrote stays). */
  close(): Promise<void>;
}

/**
 * Where a folder's ledger keeps the files of one key that runs share (list posts, a split's done
 * files): a name from a hash of its API root and key, never the key. The files add a suffix to it,
 * never `.json`: every `.json` in the ledger folder is an entry.
 */
export function keyFileStem(ledgerDir: string, baseUrl: string, apiKey: string): string {
  const id = createHash('sha256').update(`${baseUrl}\u0000${apiKey}`).digest('hex').slice(0, 16);
  return join(ledgerDir, id);
}

/** The posts of one key in a folder. */
export function boardName(ledgerDir: string, baseUrl: string, apiKey: string): string {
  return `${keyFileStem(ledgerDir, baseUrl, apiKey)}.tasks`;
}

interface Post {
  readonly v: 1;
  readonly writer: string;
  /** [task id, status, failure reason] */
  readonly tasks: readonly (readonly [string, TaskState['status'], string?])[];
}

const STATUSES = new Set(['queued', 'running', 'succeeded', 'failed']);

function stateOf(status: TaskState['status'], reason: string | undefined): TaskState {
  if (status === 'succeeded') return { status, urls: [] }; // its URLs come from its own status
  if (status === 'failed') return reason === undefined ? { status } : { status, reason };
  return { status };
}

/** The tasks of a post, or undefined when it is not one (another version's, half of one). */
function parsePost(text: string): { writer: string; tasks: ListedTask[] } | undefined {
  let post: Post;
  try {
    post = JSON.parse(text) as Post;
  } catch {
    return undefined;
  }
  if (post?.v !== 1 || typeof post.writer !== 'string' || !Array.isArray(post.tasks)) return undefined;
  const tasks: ListedTask[] = [];
  for (const row of post.tasks) {
    if (!Array.isArray(row) || typeof row[0] !== 'string' || !STATUSES.has(row[1])) return undefined;
    tasks.push({ taskId: row[0], state: stateOf(row[1], typeof row[2] === 'string' ? row[2] : undefined) });
  }
  return { writer: post.writer, tasks };
}

export class FolderListBoard implements ListBoard {
  private readonly writer = randomUUID();
  /** The text last seen there; undefined until the first look (what was there before is old). */
  private seen: string | undefined;
  private primed = false;
  /** What the first look found: a post of a run that ended (or a quiet one) when it never changes. */
  private found: string | undefined;
  private posted: string | undefined;

  constructor(
    private readonly store: OutputStore,
    private readonly name: string,
  ) {}

  async news(): Promise<readonly ListedTask[] | undefined> {
    const text = await this.store.readText(this.name).catch(() => undefined);
    const changed = this.primed && text !== undefined && text !== this.seen;
    if (!this.primed) this.found = text;
    this.primed = true;
    this.seen = text;
    if (!changed) return undefined;
    const post = parsePost(text);
    return post && post.writer !== this.writer ? post.tasks : undefined;
  }

  async post(tasks: readonly ListedTask[]): Promise<void> {
    const rows = tasks.map((t) =>
      t.state.status === 'failed' && t.state.reason !== undefined
        ? [t.taskId, t.state.status, t.state.reason]
        : [t.taskId, t.state.status],
    );
    const text = JSON.stringify({ v: 1, writer: this.writer, tasks: rows });
    // A folder that cannot take it only costs the others a shared answer.
    await this.store.writeText(this.name, text).then(
      () => {
        this.posted = text;
        this.seen = text;
        this.primed = true;
      },
      () => undefined,
    );
  }

  /**
   * Removes this run's own post, and one left by a run that was killed (unchanged all this run
   * long): the ledger folder goes when nothing else is left in it. A post a running peer wrote
   * since stays; one of a quiet peer that goes only costs it a shared answer.
   */
  async close(): Promise<void> {
    if (!this.primed) return;
    const text = await this.store.readText(this.name).catch(() => undefined);
    if (text !== undefined && (text === this.posted || text === this.found))
      await this.store.remove(this.name).catch(() => undefined);
  }
}
