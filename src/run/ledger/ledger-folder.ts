/**
 * The ledger of one output folder: `<folder>/.upscale/`, one `<key>.json` entry and one
 * `<key>.lock` claim per output being worked on. It lives beside the outputs so that every run
 * writing there — from any config folder, at the same time or after a crash — sees the same paid
 * work. Entries go once nothing is pending; `recipes/` (what each output was made from, see
 * run/recipe.ts) stays with the outputs.
 */
import { createHash } from 'node:crypto';
import { basename, join } from 'node:path';
import { UpscaleError } from '../../errors.js';
import { fsHint, fsReason, isFsError, retryPassing } from '../../fs/fs-errors.js';
import { storeFor } from '../../store/index.js';
import type { OutputStore } from '../../store/output-store.js';
import { type OutputTarget, targetKey } from '../naming.js';
import type { Claim, ClaimOptions } from './claim.js';
import { type LedgerEntry, parseEntry, type ReadEntry } from './entry.js';
import { advance, entryAt, isCommitting } from './transitions.js';

export const LEDGER_DIR_NAME = '.upscale';
/** Inside it: verified results whose own name could not be written (see output-writer.ts). */
export const KEPT_RESULTS = 'results';

/** An entry file that exists but cannot be acted on (damaged, or a newer version's): see parseEntry. */
export interface UnreadableEntry {
  readonly key: string;
  /** The entry file. */
  readonly file: string;
  readonly reason: string;
  readonly seen?: Extract<ReadEntry, { unreadable: string }>['seen'];
}

/** An input whose entry cannot be acted on stops there: the entry may stand for a paid task. */
export function unreadableError(input: string, unreadable: UnreadableEntry): UpscaleError {
  const newer = /newer version/.test(unreadable.reason);
  return new UpscaleError(
    'LEDGER_UNREADABLE',
    `${input}: its ledger entry ${unreadable.file} cannot be read: ${unreadable.reason}; it is kept and nothing was sent`,
    {
      hint: newer
        ? 'run this with the newer version of upscale that wrote it (it may name a paid task)'
        : `look at it (it may name a paid task), then \`upscale forget ${unreadable.file}\` drops it and the next run submits anew`,
    },
  );
}

/** The ledger of `dir` cannot be written: the OS's reason and the folder, in one line. */
export function ledgerWriteError(dir: string, error: unknown): UpscaleError {
  if (error instanceof UpscaleError) return error;
  return new UpscaleError('OUTPUT_UNWRITABLE', `cannot write the ledger in ${dir} (${fsReason(error)})`, {
    hint: fsHint(error),
    cause: error,
  });
}

/**
 * Throws the OS's error when `outputDir` cannot take outputs and its ledger: checked before
 * anything is sent (a file standing at the ledger's name would stop the run after paying).
 */
export async function probeOutputFolder(outputDir: string): Promise<void> {
  await storeFor(outputDir).probeWritable(outputDir, [LEDGER_DIR_NAME]);
}

export class LedgerFolder {
  readonly dir: string;
  /** Where the outputs, their recipes and this ledger live. */
  readonly store: OutputStore;
  /** Claims found at start-up whose holder could not be shown gone. */
  private readonly idle;

  constructor(readonly outputDir: string) {
    this.dir = join(outputDir, LEDGER_DIR_NAME);
    this.store = storeFor(outputDir);
    this.idle = this.store.idleClaims();
  }

  /** The entry name of an output: equal for two targets that would write the same file. */
  static keyOf(target: OutputTarget): string {
    return createHash('sha256').update(targetKey(target)).digest('hex').slice(0, 24);
  }

  private entryPath(key: string): string {
    return join(this.dir, `${key}.json`);
  }

  /**
   * The entry of `key`, undefined when there is none. Throws LEDGER_UNREADABLE for one that
   * cannot be acted on: it is never taken for "no entry", which would pay again and write over it.
   */
  async read(key: string): Promise<LedgerEntry | undefined> {
    const found = await this.readKey(key);
    if (found?.unreadable)
      throw unreadableError(found.unreadable.seen?.input ?? found.unreadable.file, found.unreadable);
    return found?.entry;
  }

  /** The entry of `key`, what makes it unreadable, or undefined when there is none. */
  private async readKey(
    key: string,
  ): Promise<
    | { entry: LedgerEntry; unreadable?: undefined }
    | { entry?: undefined; unreadable: UnreadableEntry }
    | undefined
  > {
    const file = this.entryPath(key);
    let text: string | undefined;
    try {
      text = await retryPassing(() => this.store.readText(file));
    } catch (error) {
      return { unreadable: { key, file, reason: `it cannot be opened (${fsReason(error)})` } };
    }
    if (text === undefined) return undefined;
    const read = parseEntry(text);
    if (read.entry) return { entry: read.entry };
    return { unreadable: { key, file, reason: read.unreadable, ...(read.seen ? { seen: read.seen } : {}) } };
  }

  /**
   * Runs `fn` in the ledger folder, creating it first. Another run may remove the folder when it
   * finds it empty, between the mkdir and `fn`: then it is made again.
   */
  private async inDir<T>(fn: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      await this.store.makeFolder(this.dir, { private: true }).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== 'ENOENT' || attempt >= 5) throw error;
      });
      try {
        return await fn();
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || attempt >= 5) throw error;
      }
    }
  }

  /**
   * Writes an entry atomically: a reader sees the previous state or this one. A failure leaves
   * the previous state in place (OUTPUT_UNWRITABLE naming the folder); what passes by itself (an
   * open-file limit met for a moment) is tried again first.
   */
  async write(key: string, entry: LedgerEntry): Promise<void> {
    await retryPassing(() =>
      this.inDir(() => this.store.writeText(this.entryPath(key), `${JSON.stringify(entry)}\n`)),
    ).catch((error: unknown) => {
      throw ledgerWriteError(this.dir, error);
    });
  }

  async remove(key: string): Promise<void> {
    await retryPassing(() => this.store.remove(this.entryPath(key))).catch((error: unknown) => {
      throw ledgerWriteError(this.dir, error);
    });
  }

  /** Claims an output; a folder that cannot hold the claim is OUTPUT_FOLDER_UNWRITABLE (nothing was sent). */
  async claim(key: string, options: ClaimOptions): Promise<Claim> {
    return retryPassing(() =>
      this.inDir(() => this.store.claim(join(this.dir, `${key}.lock`), options)),
    ).catch((error: unknown) => {
      if (!isFsError(error)) throw error;
      throw new UpscaleError(
        'OUTPUT_FOLDER_UNWRITABLE',
        `${options.input}: cannot claim its output in ${this.dir} (${fsReason(error)}); nothing was sent`,
        { hint: fsHint(error), cause: error },
      );
    });
  }

  /** Every entry file: those that can be acted on, and those that cannot (see parseEntry). */
  async scan(): Promise<{ entries: { key: string; entry: LedgerEntry }[]; unreadable: UnreadableEntry[] }> {
    const names = await this.store.list(this.dir).catch(() => [] as string[]);
    const entries: { key: string; entry: LedgerEntry }[] = [];
    const unreadable: UnreadableEntry[] = [];
    for (const name of names.filter((n) => n.endsWith('.json')).sort()) {
      const key = name.slice(0, -'.json'.length);
      const found = await this.readKey(key);
      if (found?.unreadable) unreadable.push(found.unreadable);
      else if (found?.entry) entries.push({ key, entry: found.entry });
    }
    return { entries, unreadable };
  }

  /** Every readable entry, by key (the unreadable ones stay, untouched, for whoever reads them). */
  async entries(): Promise<{ key: string; entry: LedgerEntry }[]> {
    return (await this.scan()).entries;
  }

  /** True when the output folder can be listed (a folder on a share that is not mounted cannot). */
  async reachable(): Promise<boolean> {
    return this.store.list(this.outputDir).then(
      () => true,
      () => false,
    );
  }

  /**
   * Start-up clean-up after runs that ended or were killed: temp files of dead processes (here
   * and in the output folder), claims of dead runs, entries whose output was committed just
   * before a crash. Then the ledger folder itself, when nothing is left in it.
   */
  async tidy(): Promise<void> {
    // A result being moved into place stays for whoever finishes its entry's move (temp names are unique).
    const committing = new Set<string>();
    for (const { key, entry } of await this.entries()) {
      if (!isCommitting(entry)) continue;
      if (!(await this.store.clearDeadClaim(join(this.dir, `${key}.lock`)).catch(() => false))) {
        committing.add(basename(entry.temp));
        continue;
      }
      // A move that still cannot be made keeps its entry and its file for the run that says so.
      const left = await this.finishCommit(key, entry).catch(() => entry);
      if (left) committing.add(basename(entry.temp));
    }
    await this.store.removeDeadTemps(this.outputDir, committing);
    await this.store.removeDeadTemps(this.dir, committing);
    await this.store.removeDeadTemps(join(this.dir, 'recipes'), committing);
    const names = await this.store.list(this.dir).catch(() => [] as string[]);
    for (const name of names.filter((n) => n.endsWith('.lock'))) {
      const path = join(this.dir, name);
      if (!(await this.store.clearDeadClaim(path).catch(() => false))) await this.idle.note(path);
    }
    await this.removeIfEmpty();
  }

  /** At the end of a run: claims left by runs that ended elsewhere go, then the folder if empty. */
  async close(): Promise<void> {
    await this.idle.sweep();
    await this.removeIfEmpty();
  }

  /**
   * A run died (or could not make the move) while moving a verified result into place: the move
   * is finished when the file is still there, and the entry removed once the output exists.
   * Returns what is left to do: the entry itself when neither the file nor the output is there
   * (the next run downloads the result again), a `completed` entry for the results after this one
   * when the task gave several, or undefined when everything is in place. Throws, keeping both the
   * entry and the file, when the file is there and still cannot take its name (a folder stands
   * there, an old output that cannot be replaced): the message says where the file is.
   */
  async finishCommit(
    key: string,
    entry: Extract<LedgerEntry, { state: 'committing' }>,
  ): Promise<LedgerEntry | undefined> {
    const { store } = this;
    if (await store.sameFile(entry.temp, entry.outputPath)) {
      // Killed between the hard link and the unlink: the output is in place, only its temp name is left.
      await store.remove(entry.temp);
    } else if ((await store.targetKindOf(entry.temp)) === 'file') {
      const moved = await store
        .commit(entry.temp, entry.outputPath, entry.overwrite ?? false)
        .catch((error: unknown) => {
          const why = error instanceof UpscaleError ? error.message : fsReason(error);
          throw new UpscaleError(
            'OUTPUT_UNWRITABLE',
            `${entry.input}: ${why}; the verified result of task ${entry.taskId} is kept as ${entry.temp}`,
            {
              hint: `make ${entry.outputPath} writable (or remove what stands there), then run the same command again: the kept result is moved in, nothing is paid or downloaded again`,
              cause: error,
            },
          );
        });
      // Dated now: under --overwrite a run counts only outputs written since it started as done,
      // and this one is the result of the very command being run again.
      const now = new Date();
      await store.touch(moved, now).catch(() => undefined);
      await store.removeFolderIfEmpty(join(this.dir, KEPT_RESULTS));
    } else if ((await store.targetKindOf(entry.outputPath)) !== 'file') return entry;
    // In place: `completed` with one more written while the task has results left, else no entry.
    const after = advance(entry, { type: 'committed' });
    if (after) {
      const left = entryAt(entry, after);
      await this.write(key, left);
      return left;
    }
    await this.remove(key);
    return undefined;
  }

  /** Removes `.upscale/` when no entry or claim is left (fails quietly when something is). */
  async removeIfEmpty(): Promise<void> {
    await this.store.removeFolderIfEmpty(this.dir);
  }
}
