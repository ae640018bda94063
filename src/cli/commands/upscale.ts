/** The main command: `upscale <inputs...>` — turns flags into options and runs the batch. */
import { stat } from 'node:fs/promises';
import { usageError } from '../../errors.js';
import { HttpClient } from '../../http/client.js';
import { type RawOptions, resolveOptions } from '../../options.js';
import { runBatch } from '../../run/batch.js';
import { looksLikeImageFile, outputTarget } from '../../run/naming.js';
import type { InputItem, TaskResult } from '../../run/run-task.js';
import { openConfig } from '../config-store.js';
import { EXIT, exitCodeFor } from '../exit-code.js';
import { plainReporter } from '../reporters/plain.js';
import { ttyReporter } from '../reporters/tty.js';
import type { Reporter } from '../reporters/types.js';
import { addSecret, redactAll, secrets } from '../secrets.js';
import type { Terminal } from '../terminal.js';

export interface UpscaleFlags extends RawOptions {
  readonly output?: string;
  readonly json?: boolean;
  readonly quiet?: boolean;
  readonly verbose?: boolean;
  readonly overwrite?: boolean;
  readonly concurrency?: string;
}

const isUrl = (input: string) => /^https?:\/\//i.test(input);

async function isExistingFile(path: string): Promise<boolean> {
  return stat(path).then(
    (s) => s.isFile(),
    () => false,
  );
}

/** `-o`: a path with an image extension or an existing file is the output file; anything else a folder. */
async function outputIsFile(output: string | undefined, inputCount: number): Promise<boolean> {
  if (output === undefined) return false;
  const isFile = looksLikeImageFile(output) || (await isExistingFile(output));
  if (isFile && inputCount > 1) {
    throw usageError(
      `-o ${output} names one file, but there are ${inputCount} inputs`,
      'pass a folder to -o for several inputs',
    );
  }
  return isFile;
}

async function pickReporter(term: Terminal, flags: UpscaleFlags): Promise<Reporter> {
  const quiet = Boolean(flags.quiet);
  const verbose = Boolean(flags.verbose);
  if (term.isTTY && !quiet) return ttyReporter(term, verbose);
  return plainReporter(term, { quiet, verbose });
}

export async function upscaleCommand(inputs: string[], flags: UpscaleFlags, term: Terminal): Promise<number> {
  if (inputs.length === 0)
    throw usageError('no input given', 'e.g. upscale photo.jpg --scale 4x (see upscale --help)');
  addSecret(flags.apiKey);
  const config = await openConfig();
  const options = resolveOptions(flags, process.env, config);
  addSecret(options.apiKey);
  const unique = [...new Set(inputs)];
  const toFile = await outputIsFile(flags.output, unique.length);
  const tag = options.provider.outputTag(options.params);
  const items: InputItem[] = unique.map((input) => ({
    input,
    kind: isUrl(input) ? 'url' : 'file',
    target: outputTarget(input, tag, flags.output, toFile),
  }));
  if (flags.output !== undefined && !toFile) {
    const { mkdir } = await import('node:fs/promises');
    await mkdir(flags.output, { recursive: true }).catch((error: NodeJS.ErrnoException) => {
      throw usageError(
        `-o ${flags.output} cannot be used as a folder (${error.code ?? error.message})`,
        'pass a folder path, or a file name ending in .png/.jpg/.webp',
      );
    });
  }

  const reporter = await pickReporter(term, flags);
  const controller = new AbortController();
  let interrupted = false;
  const onSigint = () => {
    if (interrupted) process.exit(EXIT.interrupted);
    interrupted = true;
    controller.abort(new DOMException('interrupted by Ctrl-C', 'AbortError'));
  };
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigint);

  const client = new HttpClient({
    onRetry: (e) => reporter.retry(e),
    onLog: (line) => reporter.log(line),
    secrets: secrets(),
  });
  let done = 0;
  let failed = 0;
  const results: TaskResult[] = [];
  const print = (result: TaskResult) => {
    if (flags.json) term.stdout.write(`${redactAll(JSON.stringify(result))}\n`);
    else if ((result.status === 'succeeded' || result.status === 'skipped') && result.output) {
      term.stdout.write(`${result.output}\n`);
    }
  };
  try {
    await runBatch(
      {
        connection: {
          provider: options.provider,
          baseUrl: options.baseUrl,
          apiKey: options.apiKey ?? '',
          authStyle: options.authStyle,
          client,
        },
        params: options.params,
        pollIntervalMs: options.pollIntervalMs,
        timeoutMs: options.timeoutMs,
        overwrite: Boolean(flags.overwrite),
        dryRun: Boolean(flags.dryRun),
        signal: controller.signal,
        events: reporter.events,
      },
      items,
      {
        concurrency: Number(flags.concurrency ?? 4),
        onResult: (result) => {
          results.push(result);
          done++;
          if (result.status === 'failed') failed++;
          if (interrupted && result.error?.code === 'ABORTED') return;
          reporter.result(result, { total: items.length, done, failed });
          print(result);
        },
      },
    );
  } finally {
    reporter.close();
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigint);
    await client.close();
  }
  if (interrupted) {
    for (const r of results.filter((x) => x.error?.code === 'ABORTED' && x.taskId)) {
      term.stderr.write(
        `interrupted: ${r.input} is task ${r.taskId} on ${r.provider}; run the same command again to collect it\n`,
      );
    }
    if (!results.some((x) => x.taskId)) term.stderr.write('interrupted\n');
  }
  return exitCodeFor(results, interrupted);
}
