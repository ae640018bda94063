/** The main command: `upscale <inputs...>` — the programmatic run with a reporter at the edge. */
import { stat } from 'node:fs/promises';
import { text } from 'node:stream/consumers';
import { folderNotes } from '../../api/folder-notes.js';
import { describeTotal, type TaskResult, totalCost } from '../../api/results.js';
import { executeRun, type GoneInputTask, planRun, type RunRequest } from '../../api/run.js';
import { parseShard, type Shard, shardFromEnv } from '../../api/shard.js';
import { isRefusedBeforeSending, stopsSubmitting, usageError } from '../../errors.js';
import { someOf } from '../../some-of.js';
import { exitCodeFor, STOP_EXIT, type StopReason } from '../exit-code.js';
import { type OptionFlags, optionValuesOf } from '../flag-values.js';
import { printable } from '../printable.js';
import { barReporter } from '../reporters/bar.js';
import { plainReporter } from '../reporters/plain.js';
import { ttyReporter } from '../reporters/tty.js';
import type { Reporter } from '../reporters/types.js';
import { redactAll } from '../secrets.js';
import { openSession } from '../session.js';
import { failureKey, stoppingLine, summaryLines } from '../summary.js';
import type { Terminal } from '../terminal.js';

export interface UpscaleFlags extends OptionFlags {
  readonly output?: string;
  readonly json?: boolean;
  readonly quiet?: boolean;
  readonly verbose?: boolean;
  readonly overwrite?: boolean;
  readonly recursive?: boolean;
  readonly name?: string;
  readonly shard?: string;
  readonly resubmitUncertain?: boolean;
}

async function isExistingFile(path: string): Promise<boolean> {
  return stat(path).then(
    (s) => s.isFile(),
    () => false,
  );
}

function parseShardFlag(raw: string | undefined): Shard | undefined {
  if (raw === undefined) return undefined;
  const auto = /^\s*auto\s*(?:\/\s*(\d+)\s*)?$/i.exec(raw);
  if (auto) {
    const found = shardFromEnv(process.env, auto[1] === undefined ? undefined : Number(auto[1]));
    if ('error' in found)
      throw usageError(
        `--shard ${raw}: ${found.error}`,
        // A GitHub Actions expression, shown as the user writes it in a workflow.
        // biome-ignore lint/suspicious/noTemplateCurlyInString: literal workflow syntax
        'pass --shard i/n (e.g. --shard ${{ matrix.i }}/3 on GitHub Actions)',
      );
    return found.shard;
  }
  const shard = parseShard(raw);
  if (!shard)
    throw usageError(
      `--shard "${raw}" must be i/n with 1 ≤ i ≤ n, or auto`,
      'e.g. --shard 2/3 in the second of three CI jobs, or --shard auto on GitLab, CircleCI, Buildkite, Cloud Run Jobs, Google Batch (auto/<n> on AWS Batch, Kubernetes)',
    );
  return shard;
}

/** Said before anything is sent when earlier runs left paid tasks: this run collects them first. */
export function collectingLine(count: number): string {
  return `collecting ${count} ${count === 1 ? 'task' : 'tasks'} already paid for (nothing is paid twice)`;
}

/** Paid tasks of inputs that moved away: this command does not name them, so it says so. */
export function goneInputsLine(gone: readonly GoneInputTask[]): string {
  const shown = someOf(gone.map((g) => `${printable(g.input)}${g.taskId ? ` (task ${g.taskId})` : ''}`));
  const tasks = gone.length === 1 ? 'task is' : 'tasks are';
  return `${gone.length} paid ${tasks} pending in this output folder for inputs no longer there (moved or renamed?): ${shown}; this run does not collect them: \`upscale resume\` does, \`upscale forget <input>\` drops one`;
}

/** After Ctrl-C, how long the run may take to end by itself before the summary is printed. */
export const INTERRUPT_GRACE_MS = 1000;

const LOCAL_STOPPING = 'stopping: finished outputs are kept; run the same command again to do the rest';

/** What stopped a run, when it was not Ctrl-C, in the stopping line. */
const STOP_CAUSES: Readonly<Record<StopReason, string>> = {
  SIGINT: '',
  SIGTERM: '',
  SIGHUP: ' (the terminal closed: SIGHUP)',
  stdout: ' (stdout closed: its reader left, so no other input is sent)',
};

/** Said at once on Ctrl-C (or a hang-up, or stdout closed). */
export function stoppingNote(pending: number, reason: StopReason = 'SIGINT'): string {
  const tasks = pending === 1 ? 'task' : 'tasks';
  const stopping = `stopping${STOP_CAUSES[reason]}`;
  return pending === 0
    ? `${stopping}: no task is in flight; run the same command again to do the rest`
    : `${stopping}: ${pending} submitted ${tasks} kept in the ledger; run the same command again to collect them`;
}

/** The exit code of a command that may have been stopped: 130, 129 or 141, else as its results say. */
export function exitCodeOfRun(results: readonly TaskResult[], stopped: StopReason | undefined): number {
  return stopped === undefined ? exitCodeFor(results, false) : STOP_EXIT[stopped];
}

function localInterrupted(finished: number, total: number): string {
  return `interrupted: ${finished} of ${total} inputs finished; run the same command again to do the rest (finished outputs are skipped).`;
}

/** The last line after Ctrl-C. */
export function interruptedLine(finished: number, total: number, pending: number): string {
  const kept =
    pending === 0
      ? 'nothing submitted is left pending'
      : `${pending} submitted ${pending === 1 ? 'task is' : 'tasks are'} kept in the ledger`;
  return `interrupted: ${finished} of ${total} inputs finished; ${kept}. Run the same command again (or \`upscale resume\`) to collect them without paying twice.`;
}

/** A result of an unexpected size is kept (it is paid) and said; other warnings are said once via onNotice. */
export function warnSizes(reporter: Reporter, result: TaskResult): void {
  for (const w of result.warnings ?? [])
    if (w.code === 'SIZE_MISMATCH') reporter.warn(`${result.input}: ${w.message}`);
}

/** A bar for several inputs on a terminal, a spinner for one, plain lines elsewhere. */
export async function pickReporter(
  term: Terminal,
  flags: Pick<UpscaleFlags, 'quiet' | 'verbose'>,
  total: number,
): Promise<Reporter> {
  const quiet = Boolean(flags.quiet);
  const verbose = Boolean(flags.verbose);
  if (term.isTTY && !quiet) return total > 1 ? barReporter(term, total, verbose) : ttyReporter(term, verbose);
  return plainReporter(term, { quiet, verbose });
}

function printEnd(term: Terminal, flags: UpscaleFlags, results: readonly TaskResult[], total: number): void {
  if (total > 1 && !flags.quiet) term.stderr.write(`${summaryLines(results, term).join('\n')}\n`);
  else if (total > 1) for (const line of summaryLines(results, term).slice(1)) term.stderr.write(`${line}\n`);
  // The price of a dry run, in total; per input it is on each planned line.
  if (flags.dryRun && !flags.quiet)
    term.stderr.write(`estimated cost: ${describeTotal(totalCost(results))}\n`);
}

/** `upscale <inputs...>`; `params` are the provider's own flags (`--scale`, `--engine`, …) as given. */
export async function upscaleCommand(
  inputs: string[],
  flags: UpscaleFlags,
  params: Readonly<Record<string, string>>,
  term: Terminal,
): Promise<number> {
  if (inputs.length === 0)
    throw usageError('no input given', 'e.g. upscale photo.jpg --scale 4x (see upscale --help)');
  const values = optionValuesOf(flags);
  const shard = parseShardFlag(flags.shard);
  const session = await openSession(values, params);
  const { options } = session;
  const { concurrency } = options;
  try {
    const request: RunRequest = {
      inputs,
      options,
      client: session.client,
      connection: session.connection,
      cwd: process.cwd(),
      readStdin: () => text(process.stdin),
      output: flags.output,
      outputIsFile: flags.output !== undefined && (await isExistingFile(flags.output)),
      recursive: Boolean(flags.recursive),
      name: flags.name,
      shard,
      overwrite: Boolean(flags.overwrite),
      dryRun: Boolean(flags.dryRun),
      ...(concurrency !== undefined ? { concurrency } : {}),
      journalDir: session.journalDir,
      resubmitUncertain: Boolean(flags.resubmitUncertain),
      signal: session.signal,
    };
    const items = await planRun(request);
    if (items.length === 0) {
      // planRun refuses an empty input list; only a shard can end up with nothing to do.
      if (!flags.quiet)
        term.stderr.write(
          `shard ${shard ? `${shard.index}/${shard.count}` : flags.shard}: none of the inputs falls in this shard; nothing to do\n`,
        );
      return 0;
    }
    const reporter = await pickReporter(term, flags, items.length);
    session.attach(reporter);
    if (!flags.recursive && !flags.quiet) {
      // A folder's sub-folders are not walked without -r: said, not silently skipped.
      for (const note of await folderNotes(inputs, { cwd: process.cwd(), recursive: false })) {
        const n = note.subfolders.length;
        if (n === 0) continue;
        const names = someOf(note.subfolders);
        reporter.note(
          `${printable(note.folder)}: ${n} sub-${n === 1 ? 'folder' : 'folders'} with images not included (${printable(names)}); -r (--recursive) takes ${n === 1 ? 'it' : 'them'} in`,
        );
      }
    }
    if (options.provider.limits.inputs.url && items.some((i) => /^http:\/\//i.test(i.input))) {
      // Passed on as given (local test servers have no TLS), but real providers fetch https only.
      reporter.warn('http:// inputs are passed on as they are; providers expect a public https:// URL');
    }
    const results: TaskResult[] = [];
    const noticed = new Set<string>();
    const stoppedBy = new Set<string>();
    const refusals = new Set<string>();
    /** Inputs whose task is submitted (or resumed) and not finished: what Ctrl-C leaves in the ledger. */
    const pending = new Set<string>();
    let failed = 0;
    const local = options.provider.engine !== undefined;
    session.onInterrupt((now, reason) => {
      if (now) reporter.close();
      else reporter.note(local ? LOCAL_STOPPING : stoppingNote(pending.size, reason));
    });
    const run = executeRun(request, items, {
      ...reporter.events,
      onSubmitted: (input, taskId, resumed) => {
        pending.add(input);
        reporter.events.onSubmitted?.(input, taskId, resumed);
      },
      onNotice: (input, notice) => {
        // Said once per run, not once per file.
        if (noticed.has(notice.code)) return;
        noticed.add(notice.code);
        reporter.warn(
          `${input}: ${notice.message}${items.length > 1 ? ' (and for any other such input)' : ''}`,
        );
      },
      onJournalError: (dir, error) =>
        reporter.warn(
          `cannot write the journal in ${dir} (${(error as NodeJS.ErrnoException).code ?? error}): \`upscale status\` will not list this run's pending tasks (the ledgers in the output folders still hold them)`,
        ),
      onWaitingForOtherRun: (input, holder) =>
        reporter.warn(
          `${input}: another upscale${holder ? ` (pid ${holder.pid})` : ''} is working on its output; waiting for it instead of paying twice`,
        ),
      onPaidPending: (count) => {
        if (!flags.quiet) reporter.note(collectingLine(count));
      },
      onPendingOfGoneInputs: (gone) => reporter.warn(goneInputsLine(gone)),
      onEstimate: (total) => {
        if (!flags.quiet) reporter.warn(`estimated cost ${describeTotal(total)}, within --max-cost`);
      },
      onResult: (result) => {
        // An input cut short by Ctrl-C is not a result: its task stays in the ledger for the next run.
        if (session.interrupted() && result.error?.code === 'ABORTED') return;
        pending.delete(result.input);
        results.push(result);
        if (result.status === 'failed') failed++;
        warnSizes(reporter, result);
        // A refused key (no credits, a wrong endpoint, a spent quota) is said once; the inputs
        // it left unsent are counted, and named in the summary.
        const code = result.error?.code ?? '';
        // A refusal the same for every input (a provider that takes no files) is said once; the
        // summary names the others.
        const refusal = result.status === 'failed' && isRefusedBeforeSending(code) ? failureKey(result) : '';
        const sameRefusal = refusal !== '' && refusals.has(refusal);
        if (refusal) refusals.add(refusal);
        const sameCause = (stopsSubmitting(code) && stoppedBy.has(code)) || sameRefusal;
        reporter.result(result, { total: items.length, done: results.length, failed, sameCause });
        if (stopsSubmitting(code) && !stoppedBy.has(code)) {
          stoppedBy.add(code);
          if (items.length > results.length) reporter.note(stoppingLine(code));
        }
        if (flags.json) reporter.data(redactAll(JSON.stringify(result)));
        else if ((result.status === 'succeeded' || result.status === 'skipped') && result.output) {
          reporter.data(result.output);
        }
      },
    });
    // Left behind after Ctrl-C (below), its end no longer matters; before that, the race rethrows.
    run.catch(() => undefined);
    try {
      // After Ctrl-C the run gets a moment to end by itself (tasks in flight are in the ledger);
      // what is still out then (a submit waiting for its answer) does not hold up the summary.
      await Promise.race([run, session.stopped(INTERRUPT_GRACE_MS)]);
    } finally {
      reporter.close();
    }
    if (session.interrupted()) {
      // One summary for what finished, one line for what is left; no line per input.
      if (results.length > 0 && !flags.quiet)
        term.stderr.write(`${summaryLines(results, term).join('\n')}\n`);
      term.stderr.write(
        `${local ? localInterrupted(results.length, items.length) : interruptedLine(results.length, items.length, pending.size)}\n`,
      );
    } else printEnd(term, flags, results, items.length);
    return exitCodeOfRun(results, session.stopReason());
  } finally {
    await session.close();
  }
}
