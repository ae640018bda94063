/**
 * One input through the local engine (`-p local`): the "task" is tiled inference in this process.
 * No ledger (nothing is paid), the same writer as a remote result.
 */
import { rm } from 'node:fs/promises';
import { UpscaleError } from '../errors.js';
import { tempPathBeside } from '../image/download.js';
import type { LocalModel } from '../local/index.js';
import type { EngineProvider } from '../providers/types.js';
import { finalPath } from './naming.js';
import { writeOutput } from './output-writer.js';
import type { Prepared } from './prepare.js';
import type { InputTask, RunContext, TaskResult } from './task-types.js';

/** An output of this many pixels or more (2000×2000) has the engine's garbage collected before it is encoded. */
const LARGE_OUTPUT_PIXELS = 4_000_000;

export async function runLocalTask(
  run: RunContext,
  provider: EngineProvider,
  task: InputTask,
  prepared: Prepared,
): Promise<TaskResult> {
  const { item } = task;
  const { checkLocalEngine, collectGarbage, upscaleLocal } = await import('../local/index.js');
  const model = provider.engine.modelOf(prepared.params) as LocalModel;
  const ready = await checkLocalEngine(model);
  if (!ready.ok) throw new UpscaleError('LOCAL_ENGINE', ready.message, { hint: ready.hint });
  const started = Date.now();
  run.events?.onStage?.(item.input, 'waiting');
  const { target } = task.plan;
  const tempBase = target.fixed?.path ?? finalPath(target, 'out');
  // The engine writes its rows there as they finish instead of holding the whole output.
  const spool = tempPathBeside(tempBase);
  const raw = tempPathBeside(tempBase);
  let size: { width: number; height: number };
  // The file the writer finishes: the spool itself when the engine's result is just that file.
  let produced = raw;
  const unwritable = (error: unknown) =>
    new UpscaleError('OUTPUT_UNWRITABLE', `cannot write into ${target.dir}`, {
      hint: 'check the output folder, its permissions and free space',
      cause: error,
    });
  try {
    const result = await upscaleLocal({
      input: item.input,
      scale: provider.scaleOf(prepared.params) ?? 4,
      model,
      spoolTo: spool,
      ...(run.signal ? { signal: run.signal } : {}),
      onProgress: ({ tilesDone, tilesTotal }) =>
        run.events?.onStatus?.(
          item.input,
          'local',
          { status: 'running', progress: tilesTotal > 0 ? (100 * tilesDone) / tilesTotal : 0 },
          Date.now() - started,
        ),
    });
    run.events?.onStage?.(item.input, 'writing');
    if (result.spooled) produced = spool;
    else {
      // Uncompressed: the writer encodes it again whatever the output format (one compression, not two).
      await result.image
        .png({ compressionLevel: 0 })
        .toFile(raw)
        .catch(async (error: unknown) => {
          await rm(raw, { force: true });
          throw unwritable(error);
        });
    }
    size = { width: result.width, height: result.height };
  } catch (error) {
    await rm(spool, { force: true });
    // The engine could not write its rows to the spool beside the output.
    throw (error as { code?: unknown }).code === 'ERR_LOCAL_SPOOL' ? unwritable(error) : error;
  }
  if (produced === raw) await rm(spool, { force: true });
  // The engine's garbage goes back before the writer's encoders take their memory (see memory.ts);
  // a small output's is small, and a batch of them need not pay ~30 ms each.
  if (size.width * size.height >= LARGE_OUTPUT_PIXELS) collectGarbage();
  const written = await writeOutput(run, {
    task,
    index: 0,
    // Level 0: the writer encodes it again whatever the output's format (a PNG at sharp's defaults).
    produced: { tempPath: produced, format: 'png', size, uncompressed: true },
    source: prepared.source,
    maker: { engineFrom: item.input, hasAlpha: prepared.info?.hasAlpha },
    inputHash: prepared.inputHash,
  });
  return {
    input: item.input,
    status: 'succeeded',
    provider: provider.id,
    output: written.path,
    width: written.width,
    height: written.height,
    ...(written.warnings.length > 0 ? { warnings: written.warnings } : {}),
  };
}
