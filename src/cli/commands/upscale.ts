/** The main command: `upscale <inputs...>` — expand inputs, plan outputs, run the batch. */
import { mkdir, stat } from 'node:fs/promises';
import { text } from 'node:stream/consumers';
import { usageError } from '../../errors.js';
import type { RawOptions } from '../../options.js';
import { isLocalProvider } from '../../providers/types.js';
import { runBatch } from '../../run/batch.js';
import { expandInputs } from '../../run/inputs.js';
import { FileJournal } from '../../run/journal.js';
import { checkTemplate, looksLikeImageFile } from '../../run/naming.js';
import { planItems } from '../../run/plan.js';
import { SubmitRecovery } from '../../run/recover.js';
import type { TaskResult } from '../../run/run-task.js';
import { parseShard, type Shard } from '../../run/shard.js';
import { exitCodeFor } from '../exit-code.js';
import { barReporter } from '../reporters/bar.js';
import { plainReporter } from '../reporters/plain.js';
import { ttyReporter } from '../reporters/tty.js';
import type { Reporter } from '../reporters/types.js';
import { redactAll } from '../secrets.js';
import { openSession } from '../session.js';
import { summaryLines } from '../summary.js';
import type { Terminal } from '../terminal.js';

export interface UpscaleFlags extends RawOptions {
  readonly output?: string;
  readonly json?: boolean;
  readonly quiet?: boolean;
  readonly verbose?: boolean;
  readonly overwrite?: boolean;
  readonly concurrency?: string;
  readonly recursive?: boolean;
  readonly name?: string;
  readonly shard?: string;
}

export const DEFAULT_CONCURRENCY = 4;

async function isExistingFile(path: string): Promise<boolean> {
  return stat(path).then(
    (s) => s.isFile(),
    () => false,
  );
}

function parseConcurrency(raw: string | undefined): number {
  if (raw === undefined) return DEFAULT_CONCURRENCY;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 64)
    throw usageError(`--concurrency "${raw}" must be a whole number from 1 to 64`, 'e.g. --concurrency 8');
  return n;
}

function parseShardFlag(raw: string | undefined): Shard | undefined {
  if (raw === undefined) return undefined;
  const shard = parseShard(raw);
  if (!shard)
    throw usageError(
      `--shard "${raw}" must be i/n with 1 ≤ i ≤ n`,
      'e.g. --shard 2/3 in the second of three CI jobs',
    );
  return shard;
}

function parseTemplate(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  const checked = checkTemplate(raw);
  if (typeof checked !== 'string')
    throw usageError(`--name "${raw}": ${checked.error}`, 'e.g. --name "{name}-{scale}"');
  return checked;
}

async function pickReporter(term: Terminal, flags: UpscaleFlags, total: number): Promise<Reporter> {
  const quiet = Boolean(flags.quiet);
  const verbose = Boolean(flags.verbose);
  if (term.isTTY && !quiet) return total > 1 ? barReporter(term, total, verbose) : ttyReporter(term, verbose);
  return plainReporter(term, { quiet, verbose });
}

export async function upscaleCommand(inputs: string[], flags: UpscaleFlags, term: Terminal): Promise<number> {
  if (inputs.length === 0)
    throw usageError('no input given', 'e.g. upscale photo.jpg --scale 4x (see upscale --help)');
  const concurrency = parseConcurrency(flags.concurrency);
  const shard = parseShardFlag(flags.shard);
  const template = parseTemplate(flags.name);
  const session = await openSession(flags);
  const { options } = session;
  try {
    const expanded = await expandInputs(inputs, {
      recursive: Boolean(flags.recursive),
      cwd: process.cwd(),
      readStdin: () => text(process.stdin),
    });
    if (expanded.length === 0)
      throw usageError(
        `no image files found in ${inputs.join(' ')}`,
        'pass image files, or a folder with --recursive',
      );
    const single = expanded.length === 1 && !expanded[0]!.discovered;
    const outputIsFile =
      flags.output !== undefined &&
      (looksLikeImageFile(flags.output) || (await isExistingFile(flags.output)));
    if (outputIsFile && !single) {
      throw usageError(
        `-o ${flags.output} names one file, but there are ${expanded.length} inputs`,
        'pass a folder to -o for several inputs',
      );
    }
    const items = planItems(expanded, {
      tag: options.provider.outputTag(options.params),
      provider: options.provider.id,
      output: flags.output,
      outputIsFile,
      template,
      shard,
    });
    if (flags.output !== undefined && !outputIsFile && !flags.dryRun) {
      await mkdir(flags.output, { recursive: true }).catch((error: NodeJS.ErrnoException) => {
        throw usageError(
          `-o ${flags.output} cannot be used as a folder (${error.code ?? error.message})`,
          'pass a folder path, or a file name ending in .png/.jpg/.webp',
        );
      });
    }

    const reporter = await pickReporter(term, flags, items.length);
    session.attach(reporter);
    if (options.provider.limits.inputs.url && items.some((i) => /^http:\/\//i.test(i.input))) {
      // Passed on as given (local test servers have no TLS), but real providers fetch https only.
      reporter.warn('http:// inputs are passed on as they are; providers expect a public https:// URL');
    }
    const results: TaskResult[] = [];
    const cutShort: TaskResult[] = [];
    let failed = 0;
    const journal = new FileJournal(session.journalDir, {
      onError: (error) =>
        reporter.warn(
          `cannot write the journal in ${session.journalDir} (${(error as NodeJS.ErrnoException).code ?? error}): an interrupted run could not be resumed`,
        ),
      provider: options.provider.id,
      baseUrl: options.baseUrl,
      params: options.params,
      cwd: process.cwd(),
    });
    try {
      await runBatch(
        {
          connection: session.connection,
          params: options.params,
          pollIntervalMs: options.pollIntervalMs,
          timeoutMs: options.timeoutMs,
          overwrite: Boolean(flags.overwrite),
          dryRun: Boolean(flags.dryRun),
          signal: session.signal,
          events: reporter.events,
          journal,
          recovery: new SubmitRecovery(session.connection, journal, {
            pollIntervalMs: options.pollIntervalMs,
            timeoutMs: options.timeoutMs,
            signal: session.signal,
          }),
        },
        items,
        {
          // A local engine already uses every core for one image: one at a time unless asked.
          concurrency:
            flags.concurrency === undefined && isLocalProvider(options.provider)
              ? options.provider.defaultConcurrency
              : concurrency,
          onResult: (result) => {
            // An input cut short by Ctrl-C is not a result: it is resumed by the next run.
            if (session.interrupted() && result.error?.code === 'ABORTED') {
              cutShort.push(result);
              return;
            }
            results.push(result);
            if (result.status === 'failed') failed++;
            reporter.result(result, { total: items.length, done: results.length, failed });
            if (flags.json) term.stdout.write(`${redactAll(JSON.stringify(result))}\n`);
            else if ((result.status === 'succeeded' || result.status === 'skipped') && result.output) {
              term.stdout.write(`${result.output}\n`);
            }
          },
        },
      );
    } finally {
      reporter.close();
    }
    if (session.interrupted()) {
      for (const r of cutShort.filter((x) => x.taskId)) {
        term.stderr.write(`interrupted: ${r.input} is task ${r.taskId} on ${r.provider}\n`);
      }
      term.stderr.write(
        `interrupted: ${results.length} of ${items.length} inputs finished; submitted tasks are saved in the journal.\n` +
          'Run the same command again (or `upscale resume`) to collect them without paying twice.\n',
      );
    } else if (items.length > 1 && !flags.quiet) {
      term.stderr.write(`${summaryLines(results, term).join('\n')}\n`);
    } else if (items.length > 1) {
      for (const line of summaryLines(results, term).slice(1)) term.stderr.write(`${line}\n`);
    }
    return exitCodeFor(results, session.interrupted());
  } finally {
    await session.close();
  }
}
