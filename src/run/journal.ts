/**
 * The journal of submitted tasks: one small JSON file per task, written atomically (temp file,
 * fsync, rename) before the run waits on the task. A run that was interrupted — Ctrl-C, crash,
 * kill -9, timeout, lost network — finds its tasks here when run again and collects them
 * instead of paying for them twice. An entry is removed once its output is on disk, or when
 * the provider reports the task failed or unknown.
 */
import { createHash, randomBytes } from 'node:crypto';
import { appendFile, mkdir, open, readdir, readFile, rename, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { OutputOptions } from '../image/output-options.js';
import { readPieces } from '../image/read-pieces.js';
import type { ParamValues } from '../providers/types.js';
import type { OutputTarget } from './naming.js';
import type { InputItem, JournalLookup, TaskJournal } from './run-task.js';

export interface JournalEntry {
  readonly version: 1;
  /**
   * `submitting` is written before the submit is sent: if the process dies before the answer
   * arrives, the next run knows a task may exist and looks for it instead of paying again.
   */
  readonly state: 'submitting' | 'submitted';
  readonly input: string;
  /** Absolute path of a file input, so `upscale resume` works from any folder. */
  readonly path?: string;
  readonly kind: 'file' | 'url';
  /** sha256 of the file when it was submitted: a changed file is not matched to an old task. */
  readonly contentHash?: string;
  readonly provider: string;
  readonly baseUrl: string;
  readonly params: ParamValues;
  readonly taskId?: string;
  readonly submittedAt: number;
  /** Where the output goes, resolved to absolute folders. */
  readonly target: OutputTarget;
  /** How the output is finished (format, metadata, size), so `upscale resume` writes the same file. */
  readonly output?: OutputOptions;
  readonly recordedAt: string;
}

export interface JournalContext {
  /**
   * Called (once) when the journal cannot be written, e.g. a read-only config folder. The run
   * goes on — the output still lands — but an interruption could not be resumed.
   */
  readonly onError?: (error: unknown) => void;
  readonly provider: string;
  readonly baseUrl: string;
  readonly params: ParamValues;
  readonly cwd: string;
  readonly output?: OutputOptions | undefined;
}

export async function hashFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const piece of readPieces(path, 1024 * 1024)) hash.update(piece);
  return hash.digest('hex');
}

function canonical(params: ParamValues): string {
  return JSON.stringify(Object.fromEntries(Object.entries(params).sort(([a], [b]) => (a < b ? -1 : 1))));
}

/** Writes `data` to `path` so that a reader sees the old file or the new one, never half of it. */
async function writeAtomically(path: string, data: string): Promise<void> {
  const temp = `${path}.${randomBytes(4).toString('hex')}.tmp`;
  const handle = await open(temp, 'wx', 0o600);
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temp, path);
  // Make the rename itself durable (best effort: not every platform can fsync a folder).
  const dir = await open(resolve(path, '..'), 'r').catch(() => undefined);
  await dir?.sync().catch(() => undefined);
  await dir?.close();
}

function absoluteTarget(target: OutputTarget, cwd: string): OutputTarget {
  const dir = resolve(cwd, target.dir);
  return target.fixed
    ? {
        dir,
        stem: target.stem,
        fixed: { path: resolve(cwd, target.fixed.path), format: target.fixed.format },
      }
    : { dir, stem: target.stem, ...(target.format ? { format: target.format } : {}) };
}

export class FileJournal implements TaskJournal {
  /** A file is hashed once per run, however often its entry is written. */
  private readonly hashes = new Map<string, Promise<string>>();

  constructor(
    readonly dir: string,
    private readonly context: JournalContext,
  ) {}

  private hashOf(path: string): Promise<string> {
    let hash = this.hashes.get(path);
    if (!hash) {
      hash = hashFile(path);
      this.hashes.set(path, hash);
    }
    return hash;
  }

  /** Same provider, API root, options and input → same key; the output place is not part of it. */
  keyOf(item: InputItem): string {
    const { provider, baseUrl, params, cwd } = this.context;
    const source = item.kind === 'url' ? item.input : resolve(cwd, item.input);
    return createHash('sha256')
      .update(JSON.stringify([provider, baseUrl, canonical(params), item.kind, source]))
      .digest('hex')
      .slice(0, 32);
  }

  private pathOf(item: InputItem): string {
    return join(this.dir, `${this.keyOf(item)}.json`);
  }

  async find(item: InputItem): Promise<JournalLookup | undefined> {
    const entry = await readEntry(this.pathOf(item));
    if (!entry) return undefined;
    if (entry.kind === 'file' && entry.contentHash) {
      const now = await this.hashOf(resolve(this.context.cwd, item.input)).catch(() => undefined);
      if (now !== entry.contentHash) return undefined; // the file changed since: that task is for other pixels
    }
    if (entry.state === 'submitting' || entry.taskId === undefined)
      return { pending: true, startedAt: entry.submittedAt };
    return { taskId: entry.taskId, submittedAt: entry.submittedAt };
  }

  /** Written before a submit is sent (see JournalEntry.state). */
  async markSubmitting(item: InputItem): Promise<void> {
    await this.bestEffort(() => this.write(item, { state: 'submitting', submittedAt: Date.now() }));
  }

  async record(item: InputItem, taskId: string, submittedAt: number): Promise<void> {
    await this.bestEffort(async () => {
      await this.write(item, { state: 'submitted', taskId, submittedAt });
      // Every id this machine ever got back, so recovery can tell our tasks from unknown ones.
      await appendFile(join(this.dir, KNOWN_IDS), `${taskId}\n`, { mode: 0o600 });
    });
  }

  private failed = false;

  private async bestEffort(write: () => Promise<void>): Promise<void> {
    try {
      await write();
    } catch (error) {
      if (!this.failed) this.context.onError?.(error);
      this.failed = true;
    }
  }

  async knownTaskIds(): Promise<Set<string>> {
    const text = await readFile(join(this.dir, KNOWN_IDS), 'utf8').catch(() => '');
    return new Set(text.split('\n').filter(Boolean));
  }

  private async write(
    item: InputItem,
    state: Pick<JournalEntry, 'state' | 'taskId' | 'submittedAt'>,
  ): Promise<void> {
    const { provider, baseUrl, params, cwd, output } = this.context;
    const path = item.kind === 'file' ? resolve(cwd, item.input) : undefined;
    const entry: JournalEntry = {
      version: 1,
      ...state,
      input: item.input,
      ...(path ? { path, contentHash: await this.hashOf(path) } : {}),
      kind: item.kind,
      provider,
      baseUrl,
      params,
      target: absoluteTarget(item.target, cwd),
      ...(output ? { output } : {}),
      recordedAt: new Date().toISOString(),
    };
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    await writeAtomically(this.pathOf(item), `${JSON.stringify(entry)}\n`);
  }

  async remove(item: InputItem): Promise<void> {
    await this.bestEffort(() => rm(this.pathOf(item), { force: true }));
  }
}

const KNOWN_IDS = 'known-task-ids.txt';

async function readEntry(path: string): Promise<JournalEntry | undefined> {
  try {
    const entry = JSON.parse(await readFile(path, 'utf8')) as JournalEntry;
    return entry.version === 1 && (entry.state === 'submitting' || typeof entry.taskId === 'string')
      ? entry
      : undefined;
  } catch {
    return undefined;
  }
}

/** Every entry in a journal folder (for `upscale resume` and `upscale status --list`). */
export async function readJournal(dir: string): Promise<JournalEntry[]> {
  const names = await readdir(dir).catch(() => [] as string[]);
  const entries: JournalEntry[] = [];
  for (const name of names.filter((n) => n.endsWith('.json')).sort()) {
    const entry = await readEntry(join(dir, name));
    if (entry) entries.push(entry);
  }
  return entries;
}
