/**
 * One input through the local engine (`-p local`): the same pre-check, naming, skip and
 * atomic write as a remote task, but the "task" is tiled inference in this process.
 */
import { rm } from 'node:fs/promises';
import { extname } from 'node:path';
import { UpscaleError } from '../errors.js';
import { commitFile, tempPathBeside } from '../image/download.js';
import { imageSize } from '../image/finish.js';
import { finishImage } from '../image/finish-output.js';
import { EXTENSION_OF, formatOfExtension, type ImageFormat } from '../image/formats.js';
import { displayedSize } from '../image/orient.js';
import { plannedFormat } from '../image/output-options.js';
import type { PrecheckInfo } from '../image/precheck.js';
import { finalSizeOf } from '../image/sizing.js';
import { readSource } from '../image/source.js';
import type { LocalProvider } from '../providers/types.js';
import { finalPath, formatOfInput, type OutputTarget } from './naming.js';
import type { InputItem, TaskResult, TaskSettings } from './run-task.js';

/** Without a named output file: the input's own format when it can hold the result, else PNG. */
function outputFormat(target: OutputTarget, input: string, info: PrecheckInfo): ImageFormat {
  if (target.fixed) return target.fixed.format;
  const own = formatOfExtension(extname(input));
  if (own === 'jpeg' && info.hasAlpha) return 'png';
  return own === 'jpeg' || own === 'png' || own === 'webp' || own === 'tiff' || own === 'avif' ? own : 'png';
}

export async function runLocalTask(
  s: TaskSettings,
  provider: LocalProvider,
  item: InputItem,
  info: PrecheckInfo,
): Promise<TaskResult> {
  const { checkLocalEngine, upscaleLocal } = await import('../local/index.js');
  const model = (s.params.model ?? 'slim') as 'slim' | 'medium' | 'thick';
  const ready = await checkLocalEngine(model);
  if (!ready.ok) throw new UpscaleError('LOCAL_ENGINE', ready.message, { hint: ready.hint });
  const started = Date.now();
  s.events?.onStage?.(item.input, 'waiting');
  const result = await upscaleLocal({
    input: item.input,
    scale: provider.scaleOf(s.params) ?? 4,
    model,
    ...(s.signal ? { signal: s.signal } : {}),
    onProgress: ({ tilesDone, tilesTotal }) =>
      s.events?.onStatus?.(
        item.input,
        'local',
        { status: 'running', progress: tilesTotal > 0 ? (100 * tilesDone) / tilesTotal : 0 },
        Date.now() - started,
      ),
  });
  s.events?.onStage?.(item.input, 'writing');
  // --format, metadata, orientation, alpha and --width/--height: the same finishing as a download.
  const wanted = plannedFormat(s.output ?? {}, formatOfInput(item.input), item.target.fixed?.format);
  const format = wanted ?? outputFormat(item.target, item.input, info);
  const target = finalPath(item.target, EXTENSION_OF[format]);
  const raw = tempPathBeside(target);
  let finished: Awaited<ReturnType<typeof finishImage>>;
  try {
    await result.image.png({ compressionLevel: 2 }).toFile(raw);
    const source = await readSource(item.input);
    const options = s.output ?? {};
    finished = await finishImage({
      tempPath: raw,
      downloaded: 'png',
      wanted: format,
      finalPath: target,
      source,
      options,
      finalSize: source ? finalSizeOf(displayedSize(source, source.orientation), options) : undefined,
    });
  } catch (error) {
    await rm(raw, { force: true });
    if (error instanceof UpscaleError) throw error;
    throw new UpscaleError('OUTPUT_UNWRITABLE', `cannot write ${target}`, {
      hint: 'check the output folder, its permissions and free space',
      cause: error,
    });
  }
  for (const notice of finished.notices) s.events?.onNotice?.(item.input, notice);
  const temp = finished.tempPath;
  const size = (await imageSize(temp)) ?? { width: result.width, height: result.height };
  const path = await commitFile(temp, target, s.overwrite);
  return {
    input: item.input,
    status: 'succeeded',
    provider: provider.id,
    output: path,
    width: size.width,
    height: size.height,
  };
}
