/**
 * Journals written by earlier versions (`journal/<hash>.json`, version 1, in the config folder)
 * are moved into the ledgers of their output folders, so an upgrade forgets no paid task.
 */
import { join } from 'node:path';
import type { OutputOptions } from '../../image/output-options.js';
import type { ParamValues } from '../../providers/types.js';
import { storeFor } from '../../store/index.js';
import type { OutputTarget } from '../naming.js';
import { LEDGER_VERSION, type LedgerEntry } from './entry.js';
import { LedgerFolder } from './ledger-folder.js';
import type { LedgerHome } from './ledger-home.js';

interface LegacyEntry {
  readonly version: 1;
  readonly state: 'submitting' | 'submitted';
  readonly input: string;
  readonly path?: string;
  readonly kind: 'file' | 'url';
  readonly contentHash?: string;
  readonly provider: string;
  readonly baseUrl: string;
  readonly params: ParamValues;
  readonly taskId?: string;
  readonly submittedAt: number;
  readonly target: OutputTarget;
  readonly output?: OutputOptions;
}

function upgrade(old: LegacyEntry): LedgerEntry | undefined {
  const common = {
    version: LEDGER_VERSION,
    provider: old.provider,
    baseUrl: old.baseUrl,
    params: old.params,
    ...(old.contentHash ? { contentHash: old.contentHash } : {}),
    input: old.input,
    ...(old.path ? { path: old.path } : {}),
    kind: old.kind,
    target: old.target,
    ...(old.output ? { output: old.output } : {}),
    recordedAt: new Date().toISOString(),
  };
  if (old.state === 'submitted' && typeof old.taskId === 'string')
    return { ...common, state: 'submitted', taskId: old.taskId, submittedAt: old.submittedAt };
  if (old.state === 'submitting') return { ...common, state: 'submitting', startedAt: old.submittedAt };
  return undefined;
}

/** Moves every version-1 entry of `journalDir` into its output folder's ledger (best effort). */
export async function migrateLegacyJournal(journalDir: string, home: LedgerHome): Promise<void> {
  const journal = storeFor(journalDir);
  const names = await journal.list(journalDir).catch(() => [] as string[]);
  for (const name of names.filter((n) => n.endsWith('.json'))) {
    const path = join(journalDir, name);
    try {
      const old = JSON.parse((await journal.readText(path)) ?? 'null') as LegacyEntry | null;
      if (old === null) continue;
      const entry = old.version === 1 ? upgrade(old) : undefined;
      if (!entry) continue;
      const folder = new LedgerFolder(entry.target.dir);
      const key = LedgerFolder.keyOf(entry.target);
      if (!(await folder.read(key))) await folder.write(key, entry);
      await home.noteFolder(entry.target.dir);
      await journal.remove(path);
    } catch {
      // Left where it is: the next start tries again.
    }
  }
}
