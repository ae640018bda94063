/**
 * `--provider local`: offline super-resolution with the models in dist/models (the `photo` model
 * trained here, ESRGAN models from npm packages), run by onnxruntime. No key, no network.
 *
 * Importing this module is cheap: it loads no runtime, model or image library.
 * Heavy pieces are imported inside `upscaleLocal` / `checkLocalEngine`.
 */
import { LOCAL_MODELS, type LocalModel, modelNets } from './models.js';
import type { LocalUpscaleOptions, LocalUpscaleResult } from './types.js';

export type { LocalEngineStatus } from './describe.js';
export { LocalAbortError, LocalEngineMissingError, LocalSpoolError } from './errors.js';
export { collectGarbage } from './memory.js';
export { DEFAULT_LOCAL_MODEL, LOCAL_MODELS, type LocalModel } from './models.js';
export type { LocalRuntimeName, LocalRuntimePreference } from './runtime.js';
export { MAX_SCALE } from './scale-plan.js';
export type { LocalUpscaleOptions, LocalUpscaleResult } from './types.js';

/**
 * Upscales an image on this machine. Resolves to a sharp pipeline of the final
 * image (RGB, or RGBA when the input has alpha) at round(width*scale) x
 * round(height*scale). Rejects with:
 * - `LocalEngineMissingError` (`.hint` = npm command) when a package is missing,
 * - an error named 'AbortError' when `signal` fires (checked between tiles),
 * - `RangeError` for an unsupported scale, model, threads or tileSize.
 */
export async function upscaleLocal(opts: LocalUpscaleOptions): Promise<LocalUpscaleResult> {
  const { runUpscale } = await import('./upscale.js');
  return runUpscale(opts);
}

/**
 * Checks, without loading anything heavy, that a runtime and `model`'s files are
 * present. On failure `message` says what is missing and `hint` is the command
 * that adds it.
 */
export async function checkLocalEngine(
  model: LocalModel,
): Promise<{ ok: true } | { ok: false; message: string; hint: string }> {
  const info = LOCAL_MODELS[model];
  if (!info)
    return {
      ok: false,
      message: `Unknown local model '${String(model)}'.`,
      hint: `Use --model ${Object.keys(LOCAL_MODELS).join(', ')}.`,
    };
  const [{ findModelFile }, { LOCAL_RUNTIMES }, { modelMissing }] = await Promise.all([
    import('./assets.js'),
    import('./runtimes/index.js'),
    import('./engine.js'),
  ]);
  if (!LOCAL_RUNTIMES.some((r) => r.find()))
    return {
      ok: false,
      message: "The local engine's WebAssembly runtime (dist/runtime) is missing from this installation.",
      hint: 'npm run build (in a clone), or reinstall upscale',
    };
  if (!modelNets(model).every((n) => findModelFile(model, n))) {
    const e = modelMissing(model);
    return { ok: false, message: e.message.replace(/ Install with: .*$/, ''), hint: e.hint };
  }
  return { ok: true };
}

/** What is installed for `-p local`: runtimes and models, with where they come from. */
export async function describeLocalEngine(): Promise<import('./describe.js').LocalEngineStatus> {
  const { describeLocalEngine: describe } = await import('./describe.js');
  return describe();
}
