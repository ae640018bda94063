/**
 * Work on tasks already paid for, behind `upscale status`, `upscale resume`, `upscale forget`
 * and `upscale download`: the pending entries of every ledger the config folder knows of.
 */
import { join, resolve } from 'node:path';
import { UpscaleError } from '../errors.js';
import { readSource } from '../image/source.js';
import type { ResolvedOptions } from '../options.js';
import { runBatch } from '../run/batch.js';
import { type LedgerEntry, taskIdOf } from '../run/ledger/entry.js';
import { Ledger } from '../run/ledger/ledger.js';
import { LedgerFolder, unreadableError } from '../run/ledger/ledger-folder.js';
import { LedgerHome } from '../run/ledger/ledger-home.js';
import { migrateLegacyJournal } from '../run/ledger/legacy-journal.js';
import { collectPlan } from '../run/output-plan.js';
import type { Connection } from '../run/provider-api.js';
import { downloadById, resumeEntry } from '../run/remote-task.js';
import { UncertainResolver } from '../run/resolve-uncertain.js';
import {
  errorOf,
  type InputItem,
  type InputTask,
  newRunState,
  type RemoteRun,
  type TaskEvents,
  type TaskResult,
} from '../run/task-types.js';
import { LEASE_MS } from '../store/output-store.js';

/** One entry waiting in a ledger, as `upscale status` lists it. */
export interface PendingTask {
  /** `unreadable`: an entry that cannot be acted on (damaged, or a newer version's); see `problem`. */
  readonly state: LedgerEntry['state'] | 'unreadable';
  /** Undefined while a lost submit is unresolved. */
  readonly taskId?: string;
  readonly provider: string;
  readonly baseUrl: string;
  /** The input as it was given, and (files) its absolute path. */
  readonly input: string;
  readonly path?: string;
  /** The output folder whose ledger holds it. */
  readonly folder: string;
  /** When the task was submitted, or the lost submit sent (ISO time). */
  readonly since: string;
  /** Listed tasks that could be a lost submit's, when the list could not tell. */
  readonly candidates?: readonly string[];
  /** Absent when the entry cannot be read. */
  readonly entry?: LedgerEntry;
  readonly key: string;
  /** The entry's file (`<folder>/.upscale/<key>.json`). */
  readonly file: string;
  /** Why an unreadable entry cannot be acted on. */
  readonly problem?: string;
}

function sinceOf(entry: LedgerEntry): number {
  return 'submittedAt' in entry ? entry.submittedAt : entry.startedAt;
}

/**
 * Every pending entry of every ledger the journal's index names, those that cannot be read too (a
 * damaged entry, or a newer version's: each may stand for a paid task). A folder leaves the index
 * once its ledger is empty — not while it cannot be listed (a share or disk not mounted now).
 */
export async function listPending(journalDir: string): Promise<PendingTask[]> {
  const home = new LedgerHome(journalDir);
  await migrateLegacyJournal(journalDir, home);
  const pending: PendingTask[] = [];
  const live: string[] = [];
  for (const dir of await home.folders()) {
    const folder = new LedgerFolder(dir);
    await folder.tidy();
    const { entries, unreadable } = await folder.scan();
    if (entries.length > 0 || unreadable.length > 0 || !(await folder.reachable())) live.push(dir);
    for (const { key, entry } of entries) {
      const taskId = taskIdOf(entry);
      pending.push({
        state: entry.state,
        ...(taskId ? { taskId } : {}),
        provider: entry.provider,
        baseUrl: entry.baseUrl,
        input: entry.input,
        ...(entry.path ? { path: entry.path } : {}),
        folder: dir,
        since: new Date(sinceOf(entry)).toISOString(),
        ...(entry.state === 'uncertain' && entry.candidates ? { candidates: entry.candidates } : {}),
        entry,
        key,
        file: join(folder.dir, `${key}.json`),
      });
    }
    for (const u of unreadable) {
      const since = (await folder.store.modifiedAt(u.file)) ?? Date.now();
      pending.push({
        state: 'unreadable',
        ...(u.seen?.taskId ? { taskId: u.seen.taskId } : {}),
        provider: '?',
        baseUrl: '',
        // Named by its file (what `upscale forget` takes for it); `problem` says why.
        input: u.file,
        ...(u.seen?.path ? { path: u.seen.path } : {}),
        folder: dir,
        since: new Date(since).toISOString(),
        key: u.key,
        file: u.file,
        problem: u.reason,
      });
    }
  }
  await home.keepFolders(live);
  return pending;
}

/**
 * `upscale forget <task-id|input>`: drops the matching entries (the task stays paid; nothing will
 * collect it). Refuses an entry a running upscale holds. Returns what was dropped.
 */
export async function forgetPending(journalDir: string, what: string, cwd: string): Promise<PendingTask[]> {
  const path = resolve(cwd, what);
  // A file input is matched by its path from here, never by its name as typed: another project's
  // `photo.png` is another input. URLs are the same input from anywhere.
  const matching = (await listPending(journalDir)).filter(
    (p) =>
      p.taskId === what ||
      p.path === path ||
      p.file === path ||
      (p.input === what && (p.entry?.kind === 'url' || (p.path === undefined && p.state !== 'unreadable'))),
  );
  if (matching.length === 0) {
    throw new UpscaleError('USAGE', `nothing pending matches ${what}`, {
      hint: '`upscale status` lists what is pending (task ids and inputs)',
    });
  }
  for (const p of matching) {
    const folder = new LedgerFolder(p.folder);
    const claim = await folder
      // A live holder is seen beating within seconds; a claim left by a run that ended in
      // another container or host is taken over once it has not changed for the lease.
      .claim(p.key, { input: p.input, failIfLive: true, signal: AbortSignal.timeout(LEASE_MS + 5000) })
      .catch((error: unknown) => {
        // A folder that cannot hold the claim says so (its reason), not "being worked on".
        if (error instanceof UpscaleError) throw error;
        throw new UpscaleError('USAGE', `${p.input} is being worked on by a running upscale`, {
          hint: 'wait for it to end, then try again',
        });
      });
    try {
      await folder.remove(p.key);
    } finally {
      await claim.release();
      await folder.removeIfEmpty();
    }
  }
  return matching;
}

export interface ResumeOptions {
  readonly journalDir: string;
  /** The connection for a provider and API root of a pending entry. */
  readonly connect: (
    provider: string,
    baseUrl: string,
  ) => Promise<{ connection: Connection; options: ResolvedOptions }>;
  readonly concurrency: number;
  readonly overwrite?: boolean;
  readonly signal?: AbortSignal | undefined;
  readonly events?: TaskEvents;
  readonly onResult?: (result: TaskResult) => void;
}

function contextFor(
  options: ResumeOptions,
  connection: Connection,
  resolved: ResolvedOptions,
  ledger: Ledger,
): RemoteRun {
  return {
    provider: connection.provider,
    client: connection.client,
    connection,
    pollIntervalMs: resolved.pollIntervalMs,
    timeoutMs: resolved.timeoutMs,
    ledger,
    resolver: new UncertainResolver(connection, ledger, {
      pollIntervalMs: resolved.pollIntervalMs,
      timeoutMs: resolved.timeoutMs,
      signal: options.signal,
    }),
    // Resume sends no first submit of its own: its submits are not gated (see SubmitGate).
    state: newRunState(),
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.events ? { events: options.events } : {}),
  };
}

/** `upscale resume`: collects every pending entry, provider by provider, `concurrency` at a time. */
export async function resumePending(options: ResumeOptions): Promise<TaskResult[]> {
  const pending = await listPending(options.journalDir);
  const groups = new Map<string, PendingTask[]>();
  const results: TaskResult[] = [];
  for (const p of pending) {
    if (!p.entry) {
      // Kept as it is and said: it may stand for a paid task this version cannot collect.
      const error = unreadableError(p.path ?? p.input, {
        key: p.key,
        file: p.file,
        reason: p.problem ?? 'unreadable',
      });
      const result: TaskResult = {
        input: p.input,
        provider: p.provider,
        status: 'failed',
        error: errorOf(error),
      };
      options.onResult?.(result);
      results.push(result);
      continue;
    }
    groups.set(`${p.provider} ${p.baseUrl}`, [...(groups.get(`${p.provider} ${p.baseUrl}`) ?? []), p]);
  }
  for (const group of groups.values()) {
    if (options.signal?.aborted) break;
    const first = group[0]!;
    const { connection, options: resolved } = await options.connect(first.provider, first.baseUrl);
    const ledger = new Ledger(new LedgerHome(options.journalDir), '/');
    const context = contextFor(options, connection, resolved, ledger);
    // Each entry is collected with its own recipe: parameters, output options, --overwrite.
    const done = await runBatch(context, group, {
      concurrency: options.concurrency,
      ...(options.onResult ? { onResult: options.onResult } : {}),
      run: async (run, p) => {
        const entry = p.entry!;
        let source: Awaited<ReturnType<typeof readSource>>;
        try {
          source = p.path ? await readSource(p.path) : undefined;
        } catch (error) {
          // The input cannot be read now (the open-file limit): its entry stays for the next resume.
          const taskId = taskIdOf(entry);
          return {
            input: p.input,
            provider: p.provider,
            status: 'failed',
            ...(taskId ? { taskId } : {}),
            error: errorOf(error),
          };
        }
        const overwrite = Boolean(options.overwrite || entry.overwrite);
        const task: InputTask = {
          item: { input: p.path ?? p.input, kind: entry.kind, target: entry.target },
          params: entry.params,
          overwrite,
          ...(entry.output ? { output: entry.output } : {}),
          plan: collectPlan(entry.target, overwrite, source, entry.output),
        };
        const slot = ledger.slotOf(ledger.folder(p.folder), p.key, entry);
        return resumeEntry({ ...run, connection }, task, slot, { params: entry.params, source });
      },
    });
    results.push(...done);
    await ledger.close();
  }
  return results;
}

/** `upscale download <task-id>`: waits for a task by id and writes its result to `item`'s target. */
export function downloadTask(
  connection: Connection,
  resolved: ResolvedOptions,
  item: InputItem,
  taskId: string,
  options: { overwrite?: boolean; signal?: AbortSignal | undefined; events?: TaskEvents },
): Promise<TaskResult> {
  const context: RemoteRun = {
    provider: connection.provider,
    client: connection.client,
    connection,
    pollIntervalMs: resolved.pollIntervalMs,
    timeoutMs: resolved.timeoutMs,
    // Only for the output's claim (a run collecting the same output is waited for); nothing new is recorded.
    ledger: new Ledger(undefined, resolve('.')),
    state: newRunState(),
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.events ? { events: options.events } : {}),
  };
  const overwrite = Boolean(options.overwrite);
  return downloadById(
    context,
    { item, params: {}, overwrite, plan: collectPlan(item.target, overwrite) },
    taskId,
  );
}
