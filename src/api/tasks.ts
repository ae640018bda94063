/**
 * Work on tasks already paid for, behind `upscale status`, `upscale resume`, `upscale forget`
 * and `upscale download`: the pending entries of every ledger the config folder knows of.
 */
import { resolve } from 'node:path';
import { UpscaleError } from '../errors.js';
import { readSource } from '../image/source.js';
import type { ResolvedOptions } from '../options.js';
import { runBatch } from '../run/batch.js';
import { LEASE_MS } from '../run/ledger/claim.js';
import { type LedgerEntry, taskIdOf } from '../run/ledger/entry.js';
import { Ledger } from '../run/ledger/ledger.js';
import { LedgerFolder } from '../run/ledger/ledger-folder.js';
import { LedgerHome } from '../run/ledger/ledger-home.js';
import { migrateLegacyJournal } from '../run/ledger/legacy-journal.js';
import { collectPlan } from '../run/output-plan.js';
import type { Connection } from '../run/provider-api.js';
import { downloadById, resumeEntry } from '../run/remote-task.js';
import { UncertainResolver } from '../run/resolve-uncertain.js';
import type { InputItem, InputTask, RunContext, TaskEvents, TaskResult } from '../run/task-types.js';

/** One entry waiting in a ledger, as `upscale status` lists it. */
export interface PendingTask {
  readonly state: LedgerEntry['state'];
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
  readonly entry: LedgerEntry;
  readonly key: string;
}

function sinceOf(entry: LedgerEntry): number {
  return 'submittedAt' in entry ? entry.submittedAt : entry.startedAt;
}

/** Every pending entry of every ledger the journal's index names; folders left empty leave the index. */
export async function listPending(journalDir: string): Promise<PendingTask[]> {
  const home = new LedgerHome(journalDir);
  await migrateLegacyJournal(journalDir, home);
  const pending: PendingTask[] = [];
  const live: string[] = [];
  for (const dir of await home.folders()) {
    const folder = new LedgerFolder(dir);
    await folder.tidy();
    const entries = await folder.entries();
    if (entries.length > 0) live.push(dir);
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
  const matching = (await listPending(journalDir)).filter(
    (p) => p.taskId === what || p.input === what || p.path === path,
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
      .catch(() => {
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
): RunContext {
  return {
    connection,
    pollIntervalMs: resolved.pollIntervalMs,
    timeoutMs: resolved.timeoutMs,
    ledger,
    resolver: new UncertainResolver(connection, ledger, {
      pollIntervalMs: resolved.pollIntervalMs,
      timeoutMs: resolved.timeoutMs,
      signal: options.signal,
    }),
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.events ? { events: options.events } : {}),
  };
}

/** `upscale resume`: collects every pending entry, provider by provider, `concurrency` at a time. */
export async function resumePending(options: ResumeOptions): Promise<TaskResult[]> {
  const pending = await listPending(options.journalDir);
  const groups = new Map<string, PendingTask[]>();
  for (const p of pending)
    groups.set(`${p.provider} ${p.baseUrl}`, [...(groups.get(`${p.provider} ${p.baseUrl}`) ?? []), p]);
  const results: TaskResult[] = [];
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
        const source = p.path ? await readSource(p.path) : undefined;
        const { entry } = p;
        const overwrite = Boolean(options.overwrite || entry.overwrite);
        const task: InputTask = {
          item: { input: p.path ?? p.input, kind: entry.kind, target: entry.target },
          params: entry.params,
          overwrite,
          ...(entry.output ? { output: entry.output } : {}),
          plan: collectPlan(entry.target, overwrite, source, entry.output),
        };
        const slot = ledger.slotOf(ledger.folder(p.folder), p.key, entry);
        return resumeEntry(run, task, slot, { params: entry.params, source });
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
  const context: RunContext = {
    connection,
    pollIntervalMs: resolved.pollIntervalMs,
    timeoutMs: resolved.timeoutMs,
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
