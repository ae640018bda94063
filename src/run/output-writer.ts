/**
 * The one place an output file is written, whichever backend produced the pixels: the size is
 * checked (and only warned about: a paid result is the user's result), the file is finished
 * (format, metadata, orientation, alpha, exact size) and moved into place without clobbering.
 */
import { rename } from 'node:fs/promises';
import { UpscaleError } from '../errors.js';
import { EXTENSION_OF, type ImageFormat } from '../formats.js';
import { commitFile } from '../image/download.js';
import { imageSize } from '../image/finish.js';
import { finishImage } from '../image/finish-output.js';
import type { SourceImage } from '../image/source.js';
import type { Size } from '../providers/types.js';
import { finalPath, type OutputTarget } from './naming.js';
import { type ExpectedSizes, hasExpectedSize, outputFormatOf } from './output-plan.js';
import type { InputItem, InputTask, RunContext, TaskWarning } from './task-types.js';

/** A whole, decodable image in a temp file beside its output, as a backend produced it. */
export interface ProducedImage {
  readonly tempPath: string;
  /** The format of its bytes. */
  readonly format: ImageFormat;
  /** Its stored size. */
  readonly size: Size;
}

export interface WriteJob {
  readonly task: InputTask;
  /** 0 for the first result; later ones are named `-2`, `-3`, … */
  readonly index: number;
  readonly produced: ProducedImage;
  /** The input's facts (metadata, orientation, alpha), when it could be read. */
  readonly source?: SourceImage | undefined;
  /** The format to write when the item does not decide one (the local engine keeps the input's). */
  readonly defaultFormat?: ImageFormat | undefined;
  /** Called with the finished temp file and its final name just before the move (ledger: `committing`). */
  readonly beforeCommit?: (tempPath: string, outputPath: string) => Promise<void>;
  /** The provider's task that made it, kept in the recipe (remote providers). */
  readonly taskId?: string | undefined;
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
  const finished = await finishImage({
    tempPath: produced.tempPath,
    downloaded: produced.format,
    wanted: outputFormatOf(plan) ?? job.defaultFormat,
    finalPath: provisional,
    source,
    options,
    finalSize: plan.size?.final,
  });
  for (const notice of finished.notices) {
    run.events?.onNotice?.(item.input, notice);
    warnings.push(notice);
  }
  const outputPath = finalPath(target, EXTENSION_OF[finished.format]);
  const size = (await imageSize(finished.tempPath)) ?? produced.size;
  await job.beforeCommit?.(finished.tempPath, outputPath);
  // A changed input's old output is replaced only now, by a verified new one.
  const path = await commitFile(finished.tempPath, outputPath, plan.replace);
  if (job.index === 0)
    await run.recipes?.write(plan.target, path, item.input, job.taskId).catch(() => undefined);
  return { path, ...size, warnings };
}

/**
 * A paid result that does not decode is not thrown away: it is kept beside the output as
 * `<name>.invalid.<ext>` for the user (and the provider's support) to look at.
 */
export async function keepInvalid(item: InputItem, produced: Omit<ProducedImage, 'size'>, taskId: string) {
  const target = item.target;
  const kept = finalPath({ dir: target.dir, stem: `${target.stem}.invalid` }, EXTENSION_OF[produced.format]);
  const path = await commitFile(produced.tempPath, kept, false).catch(async () => {
    await rename(produced.tempPath, kept).catch(() => undefined);
    return kept;
  });
  return new UpscaleError(
    'DOWNLOAD',
    `${item.input}: the result of task ${taskId} does not decode as an image (the download was cut short, or the file is corrupt); kept as ${path}`,
    { hint: `run the same command again to download it again; \`upscale forget ${taskId}\` stops trying` },
  );
}
