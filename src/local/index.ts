/**
 * `--provider local`: offline super-resolution with ESRGAN models shipped in npm
 * packages, run by onnxruntime. No key, no network.
 *
 * Importing this module is cheap: it loads no runtime, model or image library.
 * Heavy pieces are imported inside `upscaleLocal` / `checkLocalEngine`.
 */
import {
  findModelDir,
  findPackageDir,
  installCommand,
  LOCAL_MODELS,
  type LocalModel,
  MODEL_INTERNALS,
  NODE_RUNTIME,
  WEB_RUNTIME,
} from './models.js';
import type { LocalUpscaleOptions, LocalUpscaleResult } from './types.js';

export { LocalAbortError, LocalEngineMissingError } from './errors.js';
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
 * Checks, without loading anything heavy, that a runtime and `model`'s package are
 * installed. On failure `message` says what is missing and `hint` is the exact
 * npm command that installs it.
 */
export async function checkLocalEngine(
  model: LocalModel,
): Promise<{ ok: true } | { ok: false; message: string; hint: string }> {
  const info = LOCAL_MODELS[model];
  if (!info)
    return {
      ok: false,
      message: `Unknown local model '${String(model)}'.`,
      hint: 'Use --model slim, medium or thick.',
    };
  const missing: string[] = [];
  if (!findPackageDir(WEB_RUNTIME.package) && !findPackageDir(NODE_RUNTIME.package))
    missing.push(`${WEB_RUNTIME.package}@${WEB_RUNTIME.version}`);
  if (!findModelDir(model, info.scales[0]!))
    missing.push(`${info.package}@${MODEL_INTERNALS[model].version}`);
  if (missing.length === 0) return { ok: true };
  const names = missing.map((m) => m.replace(/@[^@]*$/, ''));
  return {
    ok: false,
    message: `The local provider${model === 'slim' ? '' : ` with --model ${model}`} needs ${names.join(' and ')}, which ${names.length > 1 ? 'are' : 'is'} not installed.`,
    hint: installCommand(missing),
  };
}

/** Frees the cached inference sessions (they are kept for reuse within a process). */
export async function releaseLocalEngine(): Promise<void> {
  const { releaseSessions } = await import('./engine.js');
  await releaseSessions();
}
