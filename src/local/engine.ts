/**
 * Loads a converted model file (shipped in dist/models or added to the data folder) and runs
 * it tile by tile.
 */
import { readFile } from 'node:fs/promises';
import { findModelFile } from './assets.js';
import { LocalEngineMissingError, throwIfAborted } from './errors.js';
import { addCommand, LOCAL_MODELS, type LocalModel } from './models.js';
import type { LoadedRuntime, ModelRunner } from './runtime.js';
import { reflectIndex, type Tile } from './tiling.js';

/** Tiles never get more context than this, even for nets that could see further (thick: 154 px). */
export const MAX_TILE_PAD = 24;

/** A runner plus the facts the tiler needs. */
export interface LoadedModel {
  runner: ModelRunner;
  scale: number;
  receptiveRadius: number;
}

// Sessions are reused across calls in one process: creating one costs 0.2-0.7 s.
const sessions = new Map<string, Promise<LoadedModel>>();

/** The error for a model that is neither shipped nor added. */
export function modelMissing(model: LocalModel): LocalEngineMissingError {
  return new LocalEngineMissingError(
    LOCAL_MODELS[model].shipped
      ? `The '${model}' model files are missing from this installation of upscale (dist/models); reinstall it.`
      : `The '${model}' model (${LOCAL_MODELS[model].sizeMB} MB) is not part of the package.`,
    LOCAL_MODELS[model].shipped ? 'npm install -g upscale' : addCommand(model),
    [`${model} model`],
  );
}

/** Returns a cached or new runner for `model` at factor `scale` on `runtime`. */
export function loadModel(runtime: LoadedRuntime, model: LocalModel, scale: number): Promise<LoadedModel> {
  const key = `${runtime.name}/${runtime.threads}/${model}/x${scale}`;
  let p = sessions.get(key);
  if (!p) {
    p = (async () => {
      const found = findModelFile(model, scale);
      if (!found) throw modelMissing(model);
      const onnx = await readFile(found.path);
      const runner = await runtime.createRunner(onnx, 'input', 'output');
      return { runner, scale: found.scale, receptiveRadius: found.receptiveRadius };
    })();
    // A failed load must not poison the cache (e.g. the model gets added later).
    p.catch(() => sessions.delete(key));
    sessions.set(key, p);
  }
  return p;
}

/** Frees every cached session (their wasm/native memory). */
export async function releaseSessions(): Promise<void> {
  const all = [...sessions.values()];
  sessions.clear();
  await Promise.all(all.map(async (p) => (await p.catch(() => undefined))?.runner.release()));
}

/** Context each tile gets, given the net and tile size. */
export function tilePad(receptiveRadius: number, tileSize: number): number {
  return Math.min(receptiveRadius, MAX_TILE_PAD, Math.floor(tileSize / 4));
}

/**
 * Runs `model` over an RGB image tile by tile and returns the upscaled RGB
 * image. `onTile` fires after each tile; `signal` is checked before each one.
 */
export async function runTiled(
  model: LoadedModel,
  rgb: Uint8Array,
  width: number,
  height: number,
  tiles: readonly Tile[],
  signal: AbortSignal | undefined,
  onTile: () => void,
): Promise<Uint8Array> {
  const s = model.scale;
  const outW = width * s;
  const out = new Uint8Array(outW * height * s * 3);
  // Writes through a clamped view round and clip the net's float output for free.
  const clamped = new Uint8ClampedArray(out.buffer, out.byteOffset, out.length);
  let input = new Float32Array(0);
  for (const { x, y } of tiles) {
    // onnxruntime-web resolves through microtasks only: without a macrotask turn here, Ctrl-C,
    // timers and the progress display would wait for the whole image.
    await new Promise<void>((resolve) => setImmediate(resolve));
    throwIfAborted(signal);
    const plane = x.size * y.size;
    if (input.length !== 3 * plane) input = new Float32Array(3 * plane);
    // HWC bytes -> CHW floats for the window, mirroring coordinates past the border.
    const cols = Array.from({ length: x.size }, (_, c) => reflectIndex(x.start + c, width) * 3);
    for (let r = 0; r < y.size; r++) {
      const rowBase = reflectIndex(y.start + r, height) * width * 3;
      const row = r * x.size;
      for (let c = 0; c < x.size; c++) {
        const src = rowBase + cols[c]!;
        input[row + c] = rgb[src]!;
        input[plane + row + c] = rgb[src + 1]!;
        input[2 * plane + row + c] = rgb[src + 2]!;
      }
    }
    const res = await model.runner.run(input, y.size, x.size);
    if (res.width !== x.size * s || res.height !== y.size * s)
      throw new Error('local upscaler: model output has the wrong size');
    const outPlane = res.width * res.height;
    // Copy only the kept region (see tiling.ts) back as HWC bytes.
    const x0 = (x.keepStart - x.start) * s;
    const x1 = (x.keepEnd - x.start) * s;
    for (let r = (y.keepStart - y.start) * s, R = (y.keepEnd - y.start) * s; r < R; r++) {
      let dst = ((y.start * s + r) * outW + x.start * s + x0) * 3;
      let src = r * res.width + x0;
      for (let c = x0; c < x1; c++, src++, dst += 3) {
        clamped[dst] = res.data[src]!;
        clamped[dst + 1] = res.data[outPlane + src]!;
        clamped[dst + 2] = res.data[2 * outPlane + src]!;
      }
    }
    onTile();
  }
  return out;
}
