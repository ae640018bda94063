/**
 * The ledger of one run: the ledgers of its output folders, and the config folder's home (index,
 * known task ids). A slot is one output's entry and claim.
 */
import { createHash } from 'node:crypto';
import { basename, dirname, join, resolve } from 'node:path';
import { isFsError, retryPassing } from '../../fs/fs-errors.js';
import { readPieces } from '../../fs/read-pieces.js';
import { realPathOf } from '../../fs/real-path.js';
import { inputUnreadable } from '../../image/read-input.js';
import { finalPath, type OutputTarget } from '../naming.js';
import type { Claim, ClaimOptions } from './claim.js';
import {
  isUnresolved,
  LEDGER_VERSION,
  type LedgerEntry,
  type LedgerState,
  type Recipe,
  taskIdOf,
} from './entry.js';
import { LedgerFolder } from './ledger-folder.js';
import type { LedgerHome } from './ledger-home.js';
import { recipeTaskIds } from './recipe-task-ids.js';
import { hasResults } from './transitions.js';

/**
 * sha256 of a file; an open-file limit met for a moment (a batch at high concurrency) is waited
 * out. One that lasts, or any other error of the file system, is INPUT_UNREADABLE naming the file.
 */
export async function hashFile(path: string): Promise<string> {
  return retryPassing(async () => {
    const hash = createHash('sha256');
    for await (const piece of readPieces(path, 1024 * 1024)) hash.update(piece);
    return hash.digest('hex');
  }).catch((error: unknown) => {
    throw isFsError(error) ? inputUnreadable(path, error) : error;
  });
}

/** Targets with absolute folders, so an entry means the same from any working folder. */
export function absoluteTarget(target: OutputTarget, cwd: string): OutputTarget {
  const dir = resolve(cwd, target.dir);
  return target.fixed
    ? {
        dir,
        stem: target.stem,
        fixed: { path: resolve(cwd, target.fixed.path), format: target.fixed.format },
      }
    : { dir, stem: target.stem, ...(target.format ? { format: target.format } : {}) };
}

/** What every entry of one slot repeats: the input, its recipe, the target and how it is finished. */
export type EntryBase = Omit<LedgerEntry, keyof LedgerState | 'version' | 'recordedAt' | 'urls'>;

/** What the ledger needs of an input (a run's InputItem). */
export interface LedgerItem {
  readonly input: string;
  readonly kind: 'file' | 'url';
  readonly target: OutputTarget;
}

export class LedgerSlot {
  constructor(
    readonly ledger: Ledger,
    readonly folder: LedgerFolder,
    readonly key: string,
    readonly base: EntryBase,
    /** Keys earlier versions gave this output (its path as spelled, a named file with its extension). */
    private readonly earlierKeys: readonly string[] = [],
  ) {}

  async read(): Promise<LedgerEntry | undefined> {
    const entry = await this.folder.read(this.key);
    if (entry) return entry;
    for (const key of this.earlierKeys) {
      // Paid work an earlier version recorded under another key: moved to this one, so it is
      // collected rather than submitted again.
      const earlier = await this.folder.read(key);
      if (!earlier) continue;
      await this.folder.write(this.key, earlier);
      await this.folder.remove(key);
      return earlier;
    }
    return undefined;
  }

  /** Writes the next state; the folder is noted in the home so `upscale status` finds it from anywhere. */
  async write(state: LedgerState): Promise<void> {
    const entry = {
      ...this.base,
      ...state,
      version: LEDGER_VERSION,
      recordedAt: new Date().toISOString(),
    } as LedgerEntry;
    await this.folder.write(this.key, entry);
    const taskId = taskIdOf(state);
    if (taskId !== undefined) this.ledger.noteTaskId(taskId);
    await this.ledger.home?.noteFolder(this.folder.outputDir);
  }

  async remove(): Promise<void> {
    await this.folder.remove(this.key);
  }

  claim(options: ClaimOptions): Promise<Claim> {
    return this.folder.claim(this.key, options);
  }
}

/** A pending lost submit, as recovery compares it with the results of listed tasks. */
export interface UnresolvedEntry {
  readonly key: string;
  readonly provider: string;
  readonly baseUrl: string;
  readonly startedAt: number;
  /** The input file (absent for a URL input). */
  readonly path?: string;
}

export class Ledger {
  /**
   * When the run opened its ledger, before tidying its folders: an output a dead run was moving
   * into place and the tidy finished counts as written by this run (see committedMeanwhile).
   */
  readonly openedAt = Date.now();
  private readonly folders = new Map<string, LedgerFolder>();
  /** Real paths of the folders this run named, by their absolute spelling. */
  private readonly realPaths = new Map<string, string>();
  /** Task ids this run was given or adopted: never a candidate for another input's lost submit. */
  private readonly taskIds = new Set<string>();

  constructor(
    readonly home: LedgerHome | undefined,
    readonly cwd: string,
  ) {}

  /**
   * The real path of a folder (symlinks resolved, see fs/real-path.ts): two names of one folder
   * give one ledger folder and one key per output, so runs using either name see each other's
   * claims and entries.
   */
  private realPath(dir: string): string {
    const absolute = resolve(this.cwd, dir);
    let real = this.realPaths.get(absolute);
    if (real === undefined) {
      real = realPathOf(absolute);
      this.realPaths.set(absolute, real);
    }
    return real;
  }

  /**
   * The key of an output, from its real path; entries keep the target as the user spelled it. A
   * named file (`-o out/photo@2x.png`) and the same name reached through a folder (`-o out/`)
   * have one key, so two runs that would write one file claim one output.
   */
  keyOf(target: OutputTarget): string {
    const absolute = absoluteTarget(target, this.cwd);
    return LedgerFolder.keyOf({ dir: this.realPath(absolute.dir), stem: absolute.stem });
  }

  /** Keys earlier versions gave an output, other than its key now. */
  private earlierKeysOf(target: OutputTarget): string[] {
    const absolute = absoluteTarget(target, this.cwd);
    const keys = [LedgerFolder.keyOf(absolute)];
    if (absolute.fixed) {
      const real = join(this.realPath(dirname(absolute.fixed.path)), basename(absolute.fixed.path));
      keys.push(LedgerFolder.keyOf({ ...absolute, fixed: { path: real, format: absolute.fixed.format } }));
    }
    const key = this.keyOf(target);
    return [...new Set(keys)].filter((k) => k !== key);
  }

  folder(outputDir: string): LedgerFolder {
    const dir = this.realPath(outputDir);
    let folder = this.folders.get(dir);
    if (!folder) {
      folder = new LedgerFolder(dir);
      this.folders.set(dir, folder);
    }
    return folder;
  }

  /** The slot of an item, its entries built from `recipe`. */
  slot(item: LedgerItem, recipe: Recipe, extra: Pick<EntryBase, 'output' | 'overwrite'>): LedgerSlot {
    const target = absoluteTarget(item.target, this.cwd);
    const folder = this.folder(target.dir);
    const path = item.kind === 'file' ? resolve(this.cwd, item.input) : undefined;
    const base: EntryBase = {
      ...recipe,
      input: item.input,
      ...(path ? { path } : {}),
      kind: item.kind,
      target,
      ...(extra.output ? { output: extra.output } : {}),
      ...(extra.overwrite ? { overwrite: true } : {}),
    };
    return new LedgerSlot(this, folder, this.keyOf(target), base, this.earlierKeysOf(target));
  }

  /**
   * A task with several results whose first ones are written and later ones not (a run stopped
   * between them): its output is there, yet the input is not done.
   */
  async resultsLeft(target: OutputTarget): Promise<boolean> {
    const folder = this.folder(absoluteTarget(target, this.cwd).dir);
    let entry: LedgerEntry | undefined;
    for (const key of [this.keyOf(target), ...this.earlierKeysOf(target)]) entry ??= await folder.read(key);
    if (!hasResults(entry)) return false;
    return (entry.written ?? 0) > 0;
  }

  /** The slot of an entry read back (resume, forget): the same base, so later states keep it. */
  slotOf(folder: LedgerFolder, key: string, entry: LedgerEntry): LedgerSlot {
    const base: EntryBase = {
      provider: entry.provider,
      baseUrl: entry.baseUrl,
      params: entry.params,
      ...(entry.contentHash ? { contentHash: entry.contentHash } : {}),
      input: entry.input,
      ...(entry.path ? { path: entry.path } : {}),
      kind: entry.kind,
      target: entry.target,
      ...(entry.output ? { output: entry.output } : {}),
      ...(entry.overwrite ? { overwrite: true } : {}),
    };
    return new LedgerSlot(this, folder, key, base);
  }

  noteTaskId(taskId: string): void {
    if (this.taskIds.has(taskId)) return;
    this.taskIds.add(taskId);
    void this.home?.noteTaskId(taskId);
  }

  /**
   * What recovery needs to know of the tasks a list shows, read after the list: every task id
   * known to belong to some output (this run's, the home's, every entry of this run's folders,
   * every recipe there: outputs finished by any run, from any config folder), and the entries
   * whose submit may have created a task nobody knows the id of. Each entry is read once, so one
   * moving on from `submitting` meanwhile is seen in one of the two; one committed meanwhile is in
   * its recipe, written before the entry goes.
   */
  async lostSubmitView(): Promise<{ known: Set<string>; unresolved: UnresolvedEntry[] }> {
    const known = new Set<string>();
    const unresolved: UnresolvedEntry[] = [];
    for (const folder of this.folders.values()) {
      const { entries, unreadable } = await folder.scan();
      // An entry this version cannot read may still name its task: that task is spoken for.
      for (const u of unreadable) if (u.seen?.taskId !== undefined) known.add(u.seen.taskId);
      for (const { key, entry } of entries) {
        const id = taskIdOf(entry);
        if (id !== undefined) known.add(id);
        if (!isUnresolved(entry)) continue;
        const { provider, baseUrl, startedAt, path } = entry;
        unresolved.push({ key, provider, baseUrl, startedAt, ...(path ? { path } : {}) });
      }
      for (const id of await recipeTaskIds(folder.dir)) known.add(id);
    }
    // Read last: an entry written as it was read above has noted its id here by now.
    for (const id of [...this.taskIds, ...((await this.home?.knownTaskIds()) ?? [])]) known.add(id);
    return { known, unresolved };
  }

  /** At the end of a run: ledger folders with nothing pending go. */
  async close(): Promise<void> {
    for (const folder of this.folders.values()) await folder.close();
  }

  /** Start-up clean-up of every output folder of the run (see LedgerFolder.tidy). */
  async tidy(outputDirs: Iterable<string>): Promise<void> {
    for (const dir of new Set(outputDirs)) await this.folder(dir).tidy();
  }

  /** The output path an entry's target names for a format's extension (for messages). */
  static outputName(target: OutputTarget, ext = '*'): string {
    return finalPath(target, ext);
  }
}
