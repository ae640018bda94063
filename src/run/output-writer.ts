/**
 * The one place an output file is written, whichever backend produced the pixels: the size is
 * checked (and only warned about: a paid result is the user's result), the file is finished
 * (format, metadata, orientation, alpha, exact size) and moved into place without clobbering.
 */
import { basename, join } from 'node:path';
import { UpscaleError } from '../errors.js';
import { EXTENSION_OF, type ImageFormat } from '../formats.js';
import { fsHint, fsReason, isOpenFileLimit } from '../fs/fs-errors.js';
import { imageSize } from '../image/finish.js';
import { finishImage } from '../image/finish-output.js';
import { readingFiles } from '../image/read-input.js';
import type { SourceImage } from '../image/source.js';
import type { Size } from '../providers/types.js';
import { storeFor } from '../store/index.js';
import { KEPT_RESULTS, LEDGER_DIR_NAME } from './ledger/ledger-folder.js';
import { finalPath, type OutputTarget } from './naming.js';
import { type ExpectedSizes, hasExpectedSize, type OutputMaker, outputFormat } from './output-plan.js';
import type { InputItem, InputTask, RunContext, TaskWarning } from './task-types.js';

/** A whole, decodable image in a temp file beside its output, as a backend produced it. */
export interface ProducedImage {
  readonly tempPath: string;
  /** The format of its bytes. */
  readonly format: ImageFormat;
  /** Its stored size. */
  readonly size: Size;
  /** Its bytes are stored uncompressed (an engine's intermediate): always encoded again, never kept as they are. */
  readonly uncompressed?: boolean | undefined;
}

export interface WriteJob {
  readonly task: InputTask;
  /** 0 for the first result; later ones are named `-2`, `-3`, … */
  readonly index: number;
  readonly produced: ProducedImage;
  /** The input's facts (metadata, orientation, alpha), when it could be read. */
  readonly source?: SourceImage | undefined;
  /** An engine in this process made it from the input (its format rule: outputFormat); default: a download. */
  readonly maker?: Extract<OutputMaker, { engineFrom: string }> | undefined;
  /** Called with the finished temp file and its final name just before the move (ledger: `committing`). */
  readonly beforeCommit?: (tempPath: string, outputPath: string) => Promise<void>;
  /** Called when the move failed and the verified file was kept aside instead (ledger: where it is now). */
  readonly onKept?: (keptPath: string, outputPath: string) => Promise<void>;
  /** The provider's task that made it, kept in the recipe (remote providers). */
  readonly taskId?: string | undefined;
  /** sha256 of the input's bytes as they were sent (hashed before they were read to send). */
  readonly inputHash?: string | undefined;
}

export interface Written {
  readonly path: string;
  readonly width: number;
  readonly height: number;
  readonly warnings: readonly TaskWarning[];
}

/** The target of the `index`-th result of an output. */
export function targetOf(target: OutputTarget, index: number): OutputTarget {
  if (index === 0) return target;
  return {
    dir: target.dir,
    stem: `${target.stem}-${index + 1}`,
    ...(target.format ? { format: target.format } : {}),
  };
}

/** A warning when the result's size is neither the exact nor the floored one (e.g. another scale). */
export function sizeWarning(actual: Size, expected: ExpectedSizes | undefined): TaskWarning | undefined {
  if (!expected || hasExpectedSize(actual, expected)) return undefined;
  const { width, height } = expected.exact;
  return {
    code: 'SIZE_MISMATCH',
    message: `the result is ${actual.width}×${actual.height}, not the expected ${width}×${height} (kept: it is the paid result)`,
  };
}

export async function writeOutput(run: RunContext, job: WriteJob): Promise<Written> {
  const { task, produced, source } = job;
  const { item, plan } = task;
  const target = targetOf(plan.target, job.index);
  const options = task.output ?? {};
  const warnings: TaskWarning[] = [];
  const off = job.index === 0 ? sizeWarning(produced.size, plan.size?.expected) : undefined;
  if (off) warnings.push(off);
  // Temp files are named after the output without its extension, which the bytes decide.
  const provisional = target.fixed?.path ?? finalPath(target, 'out');
  const finishing = () =>
    finishImage({
      tempPath: produced.tempPath,
      downloaded: produced.format,
      format: outputFormat(plan, job.maker ?? { download: produced.format }),
      finalPath: provisional,
      source,
      options,
      finalSize: plan.size?.final,
      uncompressed: produced.uncompressed,
    });
  // The open-file limit met while finishing (reading the result or the input's facts) is waited
  // out for a moment while the result is still there, then said naming the output.
  const paths = [produced.tempPath, ...(source ? [source.path] : [])];
  const stillThere = async () => (await storeFor(target.dir).kindOf(produced.tempPath)) === 'file';
  const finished = await readingFiles(paths, finishing, stillThere).catch((error: unknown) => {
    throw isOpenFileLimit(error) ? unfinished(item, provisional, error, job.taskId) : error;
  });
  for (const notice of finished.notices) {
    run.events?.onNotice?.(item.input, notice);
    warnings.push(notice);
  }
  const outputPath = finalPath(target, EXTENSION_OF[finished.format]);
  const size = (await imageSize(finished.tempPath)) ?? produced.size;
  await job.beforeCommit?.(finished.tempPath, outputPath);
  // A changed input's old output is replaced only now, by a verified new one.
  const path = await storeFor(target.dir)
    .commit(finished.tempPath, outputPath, plan.replace)
    .catch((error: unknown) => keepVerified(job, target, finished.tempPath, outputPath, error));
  await removeInvalid(target);
  if (job.index === 0)
    await run.recipes?.write(plan.target, path, item.input, job.taskId, job.inputHash).catch(() => undefined);
  return { path, ...size, warnings };
}

/**
 * The output could not be finished for the open-file limit: never INTERNAL. A paid task is not
 * lost: its ledger entry stays (`completed`), and the same command again collects it.
 */
function unfinished(
  item: InputItem,
  outputPath: string,
  error: unknown,
  taskId: string | undefined,
): UpscaleError {
  const again = taskId ? `: task ${taskId} is collected, not paid again` : '';
  return new UpscaleError(
    'OUTPUT_UNWRITABLE',
    `${item.input}: cannot finish ${outputPath} (${fsReason(error)})`,
    {
      hint: `${fsHint(error)}, then run the same command again${again}`,
      cause: error,
    },
  );
}

/** Where an output folder keeps what must not sit among the outputs (a CI glob would ship it). */
function asideIn(target: OutputTarget, what: typeof KEPT_RESULTS | 'invalid'): string {
  return join(target.dir, LEDGER_DIR_NAME, what);
}

/**
 * The verified result could not take its name (a folder stands there, an old output that cannot
 * be replaced, a read-only share): it is kept under `.upscale/results/`, the ledger is told where,
 * and the input fails saying so. Never deleted: it is paid for.
 */
async function keepVerified(
  job: WriteJob,
  target: OutputTarget,
  tempPath: string,
  outputPath: string,
  error: unknown,
): Promise<never> {
  const why =
    error instanceof UpscaleError ? error.message : `cannot write ${outputPath} (${fsReason(error)})`;
  let kept = tempPath;
  try {
    kept = await storeFor(target.dir).keepAside(
      tempPath,
      asideIn(target, KEPT_RESULTS),
      basename(outputPath),
    );
    await job.onKept?.(kept, outputPath);
  } catch {
    // Left under its temp name, which the ledger's `committing` entry names: the next start keeps it.
  }
  throw new UpscaleError(
    'OUTPUT_UNWRITABLE',
    `${job.task.item.input}: ${why}; the verified result is kept as ${kept}`,
    {
      hint: `make ${outputPath} writable (or remove what stands there), then run the same command again: the kept result is moved in, nothing is paid or downloaded again`,
      cause: error,
    },
  );
}

/** Undecodable copies of this output kept by earlier attempts: a good result makes them moot. */
async function removeInvalid(target: OutputTarget): Promise<void> {
  const prefix = `${target.stem}.invalid.`;
  const store = storeFor(target.dir);
  for (const dir of [asideIn(target, 'invalid'), target.dir]) {
    const names = await store.list(dir).catch(() => [] as string[]);
    for (const name of names)
      if (name.startsWith(prefix)) await store.remove(join(dir, name)).catch(() => undefined);
  }
  // Empty now, unless another output's broken copy is there: `.upscale/` can go when nothing is left.
  await store.removeFolderIfEmpty(asideIn(target, 'invalid'));
}

/**
 * A paid result that does not decode is not thrown away: it is kept as `<name>.invalid.<ext>`
 * under the output folder's `.upscale/invalid/` for the user (and the provider's support) to look
 * at — not beside the outputs, where a glob such as `out/*.png` would ship it. It goes once a good
 * result of the same output is written.
 */
export async function keepInvalid(
  item: InputItem,
  target: OutputTarget,
  produced: Omit<ProducedImage, 'size'>,
  taskId: string,
) {
  const dir = asideIn(target, 'invalid');
  const kept = finalPath({ dir, stem: `${target.stem}.invalid` }, EXTENSION_OF[produced.format]);
  // The newest broken copy replaces an older one of the same output.
  const store = storeFor(target.dir);
  const path = await store
    .makeFolder(dir)
    .then(() => store.replace(produced.tempPath, kept))
    .then(
      () => kept,
      () => produced.tempPath,
    );
  return new UpscaleError(
    'DOWNLOAD',
    `${item.input}: the result of task ${taskId} does not decode as an image (the download was cut short, or the file is corrupt); kept as ${path}`,
    { hint: `run the same command again to download it again; \`upscale forget ${taskId}\` stops trying` },
  );
}
