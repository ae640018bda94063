/**
 * Commands that work on tasks already submitted: `upscale status <task-id>`,
 * `upscale download <task-id>`, and `upscale resume` (finish everything in the journal).
 */
import { mkdir } from 'node:fs/promises';
import { usageError } from '../../errors.js';
import { missingKeyError, type RawOptions, resolveApiKey } from '../../options.js';
import { getProvider, isProviderId } from '../../providers/index.js';
import { isSafeTaskId } from '../../providers/json-shape.js';
import { isLocalProvider } from '../../providers/types.js';
import { FileJournal, type JournalEntry, readJournal } from '../../run/journal.js';
import { looksLikeImageFile, outputTarget } from '../../run/naming.js';
import { fetchTaskState } from '../../run/provider-api.js';
import { SubmitRecovery } from '../../run/recover.js';
import { collectTask, runTask, type TaskResult } from '../../run/run-task.js';
import { exitCodeFor } from '../exit-code.js';
import { describeState } from '../reporters/describe.js';
import { plainReporter } from '../reporters/plain.js';
import { ttyReporter } from '../reporters/tty.js';
import { redactAll } from '../secrets.js';
import { openSession } from '../session.js';
import type { Terminal } from '../terminal.js';

interface TaskFlags extends RawOptions {
  readonly output?: string;
  readonly json?: boolean;
  readonly quiet?: boolean;
  readonly verbose?: boolean;
  readonly overwrite?: boolean;
}

function checkTaskId(taskId: string): void {
  if (!isSafeTaskId(taskId))
    throw usageError(`"${taskId}" is not a task id`, 'pass the id printed when the task was submitted');
}

function printResult(term: Terminal, flags: TaskFlags, result: TaskResult): void {
  if (flags.json) term.stdout.write(`${redactAll(JSON.stringify(result))}\n`);
  else if (result.output) term.stdout.write(`${result.output}\n`);
}

/** `upscale status <task-id>`: one status request; without an id, the journal's pending tasks. */
export async function statusCommand(
  taskId: string | undefined,
  flags: TaskFlags,
  term: Terminal,
): Promise<number> {
  if (taskId === undefined) {
    const { openConfig } = await import('../config-store.js');
    const { journalDirOf } = await import('../session.js');
    const entries = await readJournal(journalDirOf(await openConfig()));
    for (const e of entries) {
      const line = {
        taskId: e.taskId,
        provider: e.provider,
        input: e.input,
        submittedAt: new Date(e.submittedAt).toISOString(),
      };
      term.stdout.write(
        flags.json
          ? `${JSON.stringify(line)}\n`
          : `${e.taskId}  ${e.provider}  ${e.input}  (${line.submittedAt})\n`,
      );
    }
    if (!flags.json)
      term.stderr.write(
        `${entries.length} task(s) waiting to be collected; \`upscale resume\` collects them\n`,
      );
    return 0;
  }
  checkTaskId(taskId);
  const session = await openSession(flags);
  try {
    const state = await fetchTaskState(session.connection, taskId, session.signal);
    const line = { taskId, provider: session.options.provider.id, ...state };
    term.stdout.write(
      flags.json
        ? `${JSON.stringify(line)}\n`
        : `${taskId}: ${describeState(state)}${state.status === 'succeeded' ? ` ${state.urls.join(' ')}` : ''}\n`,
    );
    return state.status === 'failed' ? 1 : 0;
  } finally {
    await session.close();
  }
}

/** `upscale download <task-id> [-o path]`: waits for the task if needed and writes its result. */
export async function downloadCommand(taskId: string, flags: TaskFlags, term: Terminal): Promise<number> {
  checkTaskId(taskId);
  const session = await openSession(flags);
  const reporter =
    term.isTTY && !flags.quiet
      ? await ttyReporter(term, Boolean(flags.verbose))
      : plainReporter(term, { quiet: Boolean(flags.quiet), verbose: Boolean(flags.verbose) });
  session.attach(reporter);
  try {
    const outputIsFile = flags.output !== undefined && looksLikeImageFile(flags.output);
    if (flags.output !== undefined && !outputIsFile) await mkdir(flags.output, { recursive: true });
    const target = outputTarget(taskId, {
      tag: 'task',
      provider: session.options.provider.id,
      output: flags.output,
      outputIsFile,
      template: '{name}',
    });
    const item = {
      input: taskId,
      kind: 'url' as const,
      target: flags.output === undefined ? { ...target, dir: '.' } : target,
    };
    const result = await collectTask(
      {
        connection: session.connection,
        params: {},
        pollIntervalMs: session.options.pollIntervalMs,
        timeoutMs: session.options.timeoutMs,
        overwrite: Boolean(flags.overwrite),
        signal: session.signal,
        events: reporter.events,
      },
      item,
      { taskId, submittedAt: Date.now() },
    );
    reporter.result(result, { total: 1, done: 1, failed: result.status === 'failed' ? 1 : 0 });
    printResult(term, flags, result);
    return exitCodeFor([result], session.interrupted());
  } finally {
    reporter.close();
    await session.close();
  }
}

/** `upscale resume`: collects every task in the journal, whatever command submitted it. */
export async function resumeCommand(flags: TaskFlags, term: Terminal): Promise<number> {
  const { openConfig } = await import('../config-store.js');
  const { journalDirOf } = await import('../session.js');
  const config = await openConfig();
  const dir = journalDirOf(config);
  const entries = await readJournal(dir);
  if (entries.length === 0) {
    term.stderr.write('nothing to resume: the journal is empty\n');
    return 0;
  }
  const results: TaskResult[] = [];
  const byProvider = new Map<string, JournalEntry[]>();
  for (const e of entries)
    byProvider.set(`${e.provider} ${e.baseUrl}`, [
      ...(byProvider.get(`${e.provider} ${e.baseUrl}`) ?? []),
      e,
    ]);
  for (const group of byProvider.values()) {
    const first = group[0]!;
    if (!isProviderId(first.provider)) continue;
    const provider = getProvider(first.provider);
    if (isLocalProvider(provider)) continue; // local runs are never journaled
    if (!resolveApiKey(provider, flags, process.env, config)) throw missingKeyError(provider);
    const session = await openSession({ ...flags, provider: first.provider, baseUrl: first.baseUrl });
    const reporter = plainReporter(term, { quiet: Boolean(flags.quiet), verbose: Boolean(flags.verbose) });
    session.attach(reporter);
    try {
      await Promise.all(
        group.map(async (entry) => {
          const journal = new FileJournal(dir, {
            provider: entry.provider,
            baseUrl: entry.baseUrl,
            params: entry.params,
            cwd: '/',
            output: entry.output,
          });
          const item = { input: entry.path ?? entry.input, kind: entry.kind, target: entry.target };
          const settings = {
            connection: session.connection,
            params: entry.params,
            pollIntervalMs: session.options.pollIntervalMs,
            timeoutMs: session.options.timeoutMs,
            overwrite: Boolean(flags.overwrite),
            signal: session.signal,
            events: reporter.events,
            ...(entry.output ? { output: entry.output } : {}),
            journal,
            recovery: new SubmitRecovery(session.connection, journal, {
              pollIntervalMs: session.options.pollIntervalMs,
              timeoutMs: session.options.timeoutMs,
              signal: session.signal,
            }),
          };
          // A submit whose answer was lost goes through the full run (recovery, then submit if safe).
          const result = entry.taskId
            ? await collectTask(settings, item, { taskId: entry.taskId, submittedAt: entry.submittedAt })
            : await runTask(settings, item);
          if (session.interrupted() && result.error?.code === 'ABORTED') return;
          results.push(result);
          reporter.result(result, {
            total: entries.length,
            done: results.length,
            failed: results.filter((r) => r.status === 'failed').length,
          });
          printResult(term, flags, result);
        }),
      );
    } finally {
      await session.close();
    }
    if (session.interrupted()) return exitCodeFor(results, true);
  }
  return exitCodeFor(results, false);
}
