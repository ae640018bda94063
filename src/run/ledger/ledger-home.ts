/**
 * What the config folder's `journal/` keeps beside the ledgers in output folders: which folders
 * have a ledger (so `upscale status` and `upscale resume` find pending work from anywhere), every
 * task id this machine was ever given, and when each listed task was first seen (a task listed
 * before a submit started cannot be that submit's task).
 */
import { join, resolve } from 'node:path';
import { storeFor } from '../../store/index.js';
import type { OutputStore } from '../../store/output-store.js';

const FOLDERS = 'ledger-folders.txt';
const KNOWN_IDS = 'known-task-ids.txt';
const FIRST_SEEN = 'listed-task-ids.txt';

async function lines(store: OutputStore, path: string): Promise<string[]> {
  const text = (await store.readText(path).catch(() => '')) ?? '';
  return text.split('\n').filter((l) => l.trim() !== '');
}

export class LedgerHome {
  private readonly noted = new Set<string>();
  private readonly store: OutputStore;

  /** `onError` is told once when the home cannot be written (the run goes on: outputs hold the ledger). */
  constructor(
    readonly dir: string,
    private readonly onError?: (error: unknown) => void,
  ) {
    this.store = storeFor(dir);
  }

  private failed = false;

  private async bestEffort(write: () => Promise<void>): Promise<void> {
    try {
      await this.store.makeFolder(this.dir, { private: true });
      await write();
    } catch (error) {
      if (!this.failed) this.onError?.(error);
      this.failed = true;
    }
  }

  /** Records an output folder that has (or had) a ledger. */
  async noteFolder(outputDir: string): Promise<void> {
    const folder = resolve(outputDir);
    if (this.noted.has(folder)) return;
    this.noted.add(folder);
    const path = join(this.dir, FOLDERS);
    if ((await lines(this.store, path)).includes(folder)) return;
    await this.bestEffort(() => this.store.appendText(path, `${folder}\n`));
  }

  async folders(): Promise<string[]> {
    return [...new Set(await lines(this.store, join(this.dir, FOLDERS)))];
  }

  /** Keeps only these folders in the index (the others have no ledger left). */
  async keepFolders(folders: readonly string[]): Promise<void> {
    await this.bestEffort(() =>
      this.store.writeText(join(this.dir, FOLDERS), folders.map((f) => `${f}\n`).join('')),
    );
  }

  async noteTaskId(taskId: string): Promise<void> {
    await this.bestEffort(() => this.store.appendText(join(this.dir, KNOWN_IDS), `${taskId}\n`));
  }

  async knownTaskIds(): Promise<Set<string>> {
    return new Set(await lines(this.store, join(this.dir, KNOWN_IDS)));
  }

  /**
   * When each of `ids` was first seen in a list: ids not seen before are recorded as seen now.
   * Returns the time for every id.
   */
  async firstSeen(ids: readonly string[], now = Date.now()): Promise<Map<string, number>> {
    const seen = new Map<string, number>();
    for (const line of await lines(this.store, join(this.dir, FIRST_SEEN))) {
      const [id, at] = line.split('\t');
      if (id && at && !seen.has(id)) seen.set(id, Number(at));
    }
    const fresh = ids.filter((id) => !seen.has(id));
    for (const id of fresh) seen.set(id, now);
    if (fresh.length > 0) {
      const text = fresh.map((id) => `${id}\t${now}\n`).join('');
      await this.bestEffort(() => this.store.appendText(join(this.dir, FIRST_SEEN), text));
    }
    return seen;
  }
}
