/**
 * The ledger of one output folder: `<folder>/.upscale/`, one `<key>.json` entry and one
 * `<key>.lock` claim per output being worked on. It lives beside the outputs so that every run
 * writing there — from any config folder, at the same time or after a crash — sees the same paid
 * work. Entries go once nothing is pending; `recipes/` (what each output was made from, see
 * run/recipe.ts) stays with the outputs.
 */
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rm, rmdir, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { writeAtomically } from '../../fs/atomic-file.js';
import { isDeadOwnersTemp, ownerOfTempName } from '../../fs/owner.js';
import { commitFile } from '../../image/download.js';
import { type OutputTarget, targetKey } from '../naming.js';
import { acquireClaim, type Claim, type ClaimOptions, clearDeadClaim, IdleClaims } from './claim.js';
import { type LedgerEntry, parseEntry } from './entry.js';

export const LEDGER_DIR_NAME = '.upscale';

/**
 * Temp files whose writer cannot be shown gone — no owner in the name (old versions), the
 * host-name-only tag of earlier versions, another container's or host's — are removed once
 * untouched this long: a live writer touches its temp file within seconds.
 */
const ORPHAN_AGE_MS = 24 * 3600_000;

export class LedgerFolder {
  readonly dir: string;
  /** Claims found at start-up whose holder could not be shown gone (see IdleClaims). */
  private readonly idle = new IdleClaims();

  constructor(readonly outputDir: string) {
    this.dir = join(outputDir, LEDGER_DIR_NAME);
  }

  /** The entry name of an output: equal for two targets that would write the same file. */
  static keyOf(target: OutputTarget): string {
    return createHash('sha256').update(targetKey(target)).digest('hex').slice(0, 24);
  }

  private entryPath(key: string): string {
    return join(this.dir, `${key}.json`);
  }

  async read(key: string): Promise<LedgerEntry | undefined> {
    const text = await readFile(this.entryPath(key), 'utf8').catch(() => undefined);
    return text === undefined ? undefined : parseEntry(text);
  }

  /**
   * Runs `fn` in the ledger folder, creating it first. Another run may remove the folder when it
   * finds it empty, between the mkdir and `fn`: then it is made again.
   */
  private async inDir<T>(fn: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      await mkdir(this.dir, { recursive: true, mode: 0o700 }).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== 'ENOENT' || attempt >= 5) throw error;
      });
      try {
        return await fn();
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || attempt >= 5) throw error;
      }
    }
  }

  async write(key: string, entry: LedgerEntry): Promise<void> {
    await this.inDir(() => writeAtomically(this.entryPath(key), `${JSON.stringify(entry)}\n`));
  }

  async remove(key: string): Promise<void> {
    await rm(this.entryPath(key), { force: true });
  }

  async claim(key: string, options: ClaimOptions): Promise<Claim> {
    return this.inDir(() => acquireClaim(join(this.dir, `${key}.lock`), options));
  }

  /** Every readable entry, by key. */
  async entries(): Promise<{ key: string; entry: LedgerEntry }[]> {
    const names = await readdir(this.dir).catch(() => [] as string[]);
    const found: { key: string; entry: LedgerEntry }[] = [];
    for (const name of names.filter((n) => n.endsWith('.json')).sort()) {
      const key = name.slice(0, -'.json'.length);
      const entry = await this.read(key);
      if (entry) found.push({ key, entry });
    }
    return found;
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
      if (entry.state !== 'committing') continue;
      if (!(await clearDeadClaim(join(this.dir, `${key}.lock`)).catch(() => false))) {
        committing.add(basename(entry.temp));
        continue;
      }
      if (await this.finishCommit(key, entry)) committing.add(basename(entry.temp));
    }
    await removeDeadTemps(this.outputDir, committing);
    await removeDeadTemps(this.dir, committing);
    await removeDeadTemps(join(this.dir, 'recipes'), committing);
    const names = await readdir(this.dir).catch(() => [] as string[]);
    for (const name of names.filter((n) => n.endsWith('.lock'))) {
      const path = join(this.dir, name);
      if (!(await clearDeadClaim(path).catch(() => false))) await this.idle.note(path);
    }
    await this.removeIfEmpty();
  }

  /** At the end of a run: claims left by runs that ended elsewhere go, then the folder if empty. */
  async close(): Promise<void> {
    await this.idle.sweep();
    await this.removeIfEmpty();
  }

  /**
   * A run died while moving a verified result into place: the move is finished when the file is
   * still there, and the entry removed once the output exists. Returns what is left to do: the
   * entry itself when neither the file nor the output is there (the next run downloads the result
   * again), a `completed` entry for the results after this one when the task gave several, or
   * undefined when everything is in place.
   */
  async finishCommit(
    key: string,
    entry: Extract<LedgerEntry, { state: 'committing' }>,
  ): Promise<LedgerEntry | undefined> {
    if (await sameFile(entry.temp, entry.outputPath)) {
      // Killed between the hard link and the unlink: the output is in place, only its temp name is left.
      await rm(entry.temp, { force: true });
    } else if (await exists(entry.temp)) {
      const moved = await commitFile(entry.temp, entry.outputPath, entry.overwrite ?? false).catch(
        () => undefined,
      );
      if (!moved) return entry;
    } else if (!(await exists(entry.outputPath))) return entry;
    const written = (entry.written ?? 0) + 1;
    if (written < entry.urls.length) {
      const { temp: _temp, outputPath: _outputPath, ...rest } = entry;
      const left: LedgerEntry = {
        ...rest,
        state: 'completed',
        written,
        recordedAt: new Date().toISOString(),
      };
      await this.write(key, left);
      return left;
    }
    await this.remove(key);
    return undefined;
  }

  /** Removes `.upscale/` when no entry or claim is left (fails quietly when something is). */
  async removeIfEmpty(): Promise<void> {
    await rmdir(this.dir).catch(() => undefined);
  }
}

/** Two names of one file (a hard link), so moving one onto the other would make a copy. */
async function sameFile(a: string, b: string): Promise<boolean> {
  const [first, second] = await Promise.all([stat(a).catch(() => undefined), stat(b).catch(() => undefined)]);
  return !!first && !!second && first.dev === second.dev && first.ino === second.ino;
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/** Hidden temp files (`.part`, `.tmp`) whose writer is gone, in one folder, but those named in `keep`. */
async function removeDeadTemps(dir: string, keep: ReadonlySet<string>): Promise<void> {
  const names = await readdir(dir).catch(() => [] as string[]);
  for (const name of names) {
    if (!name.startsWith('.') || !(name.endsWith('.part') || name.endsWith('.tmp'))) continue;
    if (keep.has(name)) continue;
    if (isDeadOwnersTemp(name)) {
      await rm(join(dir, name), { force: true }).catch(() => undefined);
    } else if (ownerOfTempName(name) !== undefined || /\.[0-9a-f]{8}\.(?:part|tmp)$/.test(name)) {
      // A writer that cannot be asked (see ORPHAN_AGE_MS): only once clearly abandoned.
      const info = await stat(join(dir, name)).catch(() => undefined);
      if (info && Date.now() - info.mtimeMs > ORPHAN_AGE_MS) await rm(join(dir, name), { force: true });
    }
  }
}
