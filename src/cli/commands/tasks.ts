/**
 * Commands that work on tasks already submitted: `upscale status [task-id]`, `upscale download
 * <task-id>`, `upscale resume` (collect everything pending) and `upscale forget <task-id|input>`.
 * Thin shells over src/api/tasks.ts and src/api/task-by-id.ts.
 */
import { getProvider, hasHttpApi, isProviderId, isSafeTaskId } from '../../api/providers.js';
import type { TaskResult } from '../../api/results.js';
import { downloadItem, fetchTaskState } from '../../api/task-by-id.js';
import {
  downloadTask,
  forgetPending,
  listPending,
  type PendingTask,
  resumePending,
} from '../../api/tasks.js';
import { usageError } from '../../errors.js';
import { missingKeyError, resolveApiKey } from '../../options.js';
import type { StopReason } from '../exit-code.js';
import { type OptionFlags, optionValuesOf } from '../flag-values.js';
import { RESUME_CONCURRENCY } from '../flags.js';
import { printable } from '../printable.js';
import { describeState } from '../reporters/describe.js';
import { plainReporter } from '../reporters/plain.js';
import { ttyReporter } from '../reporters/tty.js';
import type { Reporter } from '../reporters/types.js';
import { redactAll } from '../secrets.js';
import { openSession, type Session } from '../session.js';
import { summaryLines } from '../summary.js';
import type { Terminal } from '../terminal.js';
import { fitToWidth } from '../wrap.js';
import {
  collectingLine,
  exitCodeOfRun,
  INTERRUPT_GRACE_MS,
  interruptedLine,
  pickReporter,
  stoppingNote,
  warnSizes,
} from './upscale.js';

export interface TaskFlags extends OptionFlags {
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

function printResult(reporter: Pick<Reporter, 'data'>, flags: TaskFlags, result: TaskResult): void {
  if (flags.json) reporter.data(redactAll(JSON.stringify(result)));
  else if (result.output) reporter.data(result.output);
}

async function journalDir(): Promise<string> {
  const { openConfig } = await import('../config-store.js');
  const { journalDirOf } = await import('../session.js');
  return journalDirOf(await openConfig());
}

/** One line of `upscale status`: what is pending, for people and for scripts. */
function pendingLine(p: PendingTask): { json: object; text: string } {
  const json = {
    state: p.state,
    ...(p.taskId ? { taskId: p.taskId } : {}),
    provider: p.provider,
    input: p.input,
    ...(p.path ? { path: p.path } : {}),
    folder: p.folder,
    since: p.since,
    ...(p.candidates ? { candidates: p.candidates } : {}),
  };
  const what =
    p.taskId ??
    (p.state === 'uncertain' || p.state === 'submitting' ? 'uncertain (submit answer lost)' : '?');
  const candidates = p.candidates ? `, could be ${p.candidates.join(' or ')}` : '';
  return { json, text: `${what}  ${p.provider}  ${p.state}  ${p.input}  (since ${p.since}${candidates})` };
}

/** `upscale status <task-id>`: one status request; without an id, what is pending in the ledgers. */
export async function statusCommand(
  taskId: string | undefined,
  flags: TaskFlags,
  term: Terminal,
): Promise<number> {
  if (taskId === undefined) {
    const pending = await listPending(await journalDir());
    for (const p of pending) {
      const line = pendingLine(p);
      const width = term.stdout.isTTY ? term.stdout.columns : undefined;
      term.stdout.write(
        flags.json ? `${JSON.stringify(line.json)}\n` : `${fitToWidth(printable(line.text), width, 4)}\n`,
      );
    }
    if (!flags.json && !flags.quiet) {
      const said =
        pending.length === 0
          ? 'nothing pending: every paid task was collected'
          : `${pending.length} task(s) pending; \`upscale resume\` collects them, \`upscale forget <task-id|input>\` drops one`;
      term.stderr.write(`${fitToWidth(said, term.isTTY ? term.stderr.columns : undefined, 2)}\n`);
    }
    return 0;
  }
  checkTaskId(taskId);
  const session = await openSession(optionValuesOf(flags));
  try {
    const state = await fetchTaskState(session.remote(), taskId, session.signal);
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

async function reporterFor(term: Terminal, flags: TaskFlags) {
  return term.isTTY && !flags.quiet
    ? ttyReporter(term, Boolean(flags.verbose))
    : plainReporter(term, { quiet: Boolean(flags.quiet), verbose: Boolean(flags.verbose) });
}

/** `upscale download <task-id> [-o path]`: waits for the task if needed and writes its result. */
export async function downloadCommand(taskId: string, flags: TaskFlags, term: Terminal): Promise<number> {
  checkTaskId(taskId);
  const session = await openSession(optionValuesOf(flags));
  const reporter = await reporterFor(term, flags);
  session.attach(reporter);
  try {
    const item = await downloadItem(taskId, session.options.provider.id, flags.output);
    const result = await downloadTask(session.remote(), session.options, item, taskId, {
      overwrite: Boolean(flags.overwrite),
      signal: session.signal,
      events: reporter.events,
    });
    reporter.result(result, { total: 1, done: 1, failed: result.status === 'failed' ? 1 : 0 });
    printResult(reporter, flags, result);
    return exitCodeOfRun([result], session.stopReason());
  } finally {
    reporter.close();
    await session.close();
  }
}

/** `upscale resume`: collects every pending task, whatever command submitted it. */
export async function resumeCommand(flags: TaskFlags, term: Terminal): Promise<number> {
  const values = optionValuesOf(flags);
  const concurrency = values.concurrency ?? RESUME_CONCURRENCY;
  const dir = await journalDir();
  const pending = await listPending(dir);
  if (pending.length === 0) {
    if (!flags.quiet) term.stderr.write('nothing to resume: nothing is pending\n');
    return 0;
  }
  const { openConfig } = await import('../config-store.js');
  const config = await openConfig();
  // The same display as the main command: a bar on a terminal, plain lines elsewhere.
  const reporter = await pickReporter(term, flags, pending.length);
  if (!flags.quiet) reporter.note(collectingLine(pending.length));
  const sessions: Session[] = [];
  const controller = new AbortController();
  const results: TaskResult[] = [];
  let interrupted: StopReason | undefined;
  /** Resolves a moment after the first stop: what is still out then does not hold up the summary. */
  let stopped: () => void = () => undefined;
  const grace = new Promise<void>((resolve) => {
    stopped = () => setTimeout(resolve, INTERRUPT_GRACE_MS).unref();
  });
  try {
    const collecting = resumePending({
      journalDir: dir,
      concurrency,
      overwrite: Boolean(flags.overwrite),
      signal: controller.signal,
      events: reporter.events,
      connect: async (providerId, baseUrl) => {
        if (!isProviderId(providerId)) throw usageError(`the ledger names an unknown provider ${providerId}`);
        const provider = getProvider(providerId);
        if (!hasHttpApi(provider)) throw usageError(`${provider.id} runs are never pending`);
        if (!resolveApiKey(provider, values, process.env, config)) throw missingKeyError(provider);
        const session = await openSession({ ...values, provider: providerId, baseUrl });
        session.attach(reporter);
        session.onInterrupt((now, reason) => {
          if (now) return reporter.close();
          if (interrupted) return;
          interrupted = reason;
          controller.abort(session.signal.reason);
          reporter.note(stoppingNote(pending.length - results.length, reason));
          stopped();
        });
        sessions.push(session);
        return { connection: session.remote(), options: session.options };
      },
      onResult: (result) => {
        if (interrupted && result.error?.code === 'ABORTED') return;
        results.push(result);
        warnSizes(reporter, result);
        const failed = results.filter((r) => r.status === 'failed').length;
        reporter.result(result, { total: pending.length, done: results.length, failed });
        printResult(reporter, flags, result);
      },
    });
    // Left behind once stopped (the tasks are in the ledger); before that, the race rethrows.
    collecting.catch(() => undefined);
    await Promise.race([collecting, grace]);
  } finally {
    reporter.close();
    for (const session of sessions) await session.close();
  }
  if (results.length > 0 && pending.length > 1 && !flags.quiet)
    term.stderr.write(`${summaryLines(results, term).join('\n')}\n`);
  if (interrupted)
    term.stderr.write(
      `${interruptedLine(results.length, pending.length, pending.length - results.length)}\n`,
    );
  return exitCodeOfRun(results, interrupted);
}

/** `upscale forget <task-id|input>`: stop tracking a pending task (it stays paid; nothing collects it). */
export async function forgetCommand(what: string, flags: TaskFlags, term: Terminal): Promise<number> {
  const dropped = await forgetPending(await journalDir(), what, process.cwd());
  for (const p of dropped) {
    const line = pendingLine(p);
    if (flags.json) term.stdout.write(`${JSON.stringify({ ...line.json, forgotten: true })}\n`);
    else if (!flags.quiet) term.stderr.write(`forgot ${printable(line.text)}\n`);
  }
  return 0;
}
