/**
 * Loads a converted model file (shipped in dist/models or added to the data folder) and runs
 * it tile by tile.
 */
import { readFile } from 'node:fs/promises';
import { findModelFile } from './assets.js';
import { LocalEngineMissingError, throwIfAborted } from './errors.js';
import { addCommand, LOCAL_MODELS, type LocalModel, netName } from './models.js';
import { type Pixels, samplesLike } from './pixels.js';
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

/** Returns a cached or new runner for `model` at factor `scale` (its JPEG net with `jpeg`) on `runtime`. */
export function loadModel(
  runtime: LoadedRuntime,
  model: LocalModel,
  scale: number,
  jpeg = false,
): Promise<LoadedModel> {
  const key = `${runtime.name}/${runtime.threads}/${netName(model, { scale, jpeg })}`;
  let p = sessions.get(key);
  if (!p) {
    p = (async () => {
      const found = findModelFile(model, { scale, jpeg });
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

/** One output row of a tile, planar floats to interleaved 8-bit samples (rounded and clipped by the view). */
function copyRow8(
  out: Uint8ClampedArray,
  at: number,
  data: Float32Array,
  from: number,
  plane: number,
  n: number,
) {
  for (let c = 0, dst = at, src = from; c < n; c++, src++, dst += 3) {
    out[dst] = data[src]!;
    out[dst + 1] = data[plane + src]!;
    out[dst + 2] = data[2 * plane + src]!;
  }
}

const to16 = (v: number) => (v <= 0 ? 0 : v >= 255 ? 65535 : Math.round(v * 257));

/** One output row of a tile, planar floats (0..255) to interleaved 16-bit samples. */
function copyRow16(out: Uint16Array, at: number, data: Float32Array, from: number, plane: number, n: number) {
  for (let c = 0, dst = at, src = from; c < n; c++, src++, dst += 3) {
    out[dst] = to16(data[src]!);
    out[dst + 1] = to16(data[plane + src]!);
    out[dst + 2] = to16(data[2 * plane + src]!);
  }
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
  rgb: Pixels,
  width: number,
  height: number,
  tiles: readonly Tile[],
  signal: AbortSignal | undefined,
  onTile: () => void,
): Promise<Pixels> {
  const s = model.scale;
  const out = samplesLike(rgb, width * s * height * s * 3);
  await tileBands(model, rgb, width, height, tiles, signal, onTile, () => ({ out, firstRow: 0 }), undefined);
  return out;
}

/**
 * As runTiled, but the output is never held whole: after each row of tiles, `onBand` gets the
 * output rows it finished (the upscaled RGB samples of those rows, top to bottom; the array is
 * reused for the next band).
 */
export async function runTiledBands(
  model: LoadedModel,
  rgb: Pixels,
  width: number,
  height: number,
  tiles: readonly Tile[],
  signal: AbortSignal | undefined,
  onTile: () => void,
  onBand: (rows: Pixels) => Promise<void>,
): Promise<void> {
  const rowLength = width * model.scale * 3;
  let band = samplesLike(rgb, 0);
  const bandOf = (rows: number, firstRow: number) => {
    if (band.length < rows * rowLength) band = samplesLike(rgb, rows * rowLength);
    return { out: band.subarray(0, rows * rowLength), firstRow };
  };
  await tileBands(model, rgb, width, height, tiles, signal, onTile, bandOf, onBand);
}

/**
 * The tiled inference of runTiled and runTiledBands. Tiles come row by row (planTiles); each row of
 * them fills the output rows of its kept span, `rows` from `firstRow`, in the samples `bandOf` gives
 * (`out`, whose first row is output row `firstRow`: 0 for the whole output), then `onBand` gets them.
 */
async function tileBands(
  model: LoadedModel,
  rgb: Pixels,
  width: number,
  height: number,
  tiles: readonly Tile[],
  signal: AbortSignal | undefined,
  onTile: () => void,
  bandOf: (rows: number, firstRow: number) => { out: Pixels; firstRow: number },
  onBand: ((rows: Pixels) => Promise<void>) | undefined,
): Promise<void> {
  const s = model.scale;
  const outW = width * s;
  // 16-bit samples run in the nets' 0..255 range, as fractions of a level.
  const deep = rgb instanceof Uint16Array;
  const unit = deep ? 257 : 1;
  let out: Pixels | undefined;
  let clamped: Uint8ClampedArray | undefined;
  let firstRow = 0;
  let span: number | undefined; // the keepStart of the row of tiles being filled
  let input = new Float32Array(0);
  for (const [i, { x, y }] of tiles.entries()) {
    // onnxruntime-web resolves through microtasks only: without a macrotask turn here, Ctrl-C,
    // timers and the progress display would wait for the whole image.
    await new Promise<void>((resolve) => setImmediate(resolve));
    throwIfAborted(signal);
    if (y.keepStart !== span) {
      span = y.keepStart;
      ({ out, firstRow } = bandOf((y.keepEnd - y.keepStart) * s, y.keepStart * s));
      // 8-bit writes through a clamped view round and clip the net's float output for free.
      clamped = deep ? undefined : new Uint8ClampedArray(out.buffer, out.byteOffset, out.length);
    }
    const plane = x.size * y.size;
    if (input.length !== 3 * plane) input = new Float32Array(3 * plane);
    // HWC bytes -> CHW floats for the window, mirroring coordinates past the border.
    const cols = Array.from({ length: x.size }, (_, c) => reflectIndex(x.start + c, width) * 3);
    for (let r = 0; r < y.size; r++) {
      const rowBase = reflectIndex(y.start + r, height) * width * 3;
      const row = r * x.size;
      for (let c = 0; c < x.size; c++) {
        const src = rowBase + cols[c]!;
        input[row + c] = rgb[src]! / unit;
        input[plane + row + c] = rgb[src + 1]! / unit;
        input[2 * plane + row + c] = rgb[src + 2]! / unit;
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
      const dst = ((y.start * s + r - firstRow) * outW + x.start * s + x0) * 3;
      const src = r * res.width + x0;
      if (clamped) copyRow8(clamped, dst, res.data, src, outPlane, x1 - x0);
      else copyRow16(out as Uint16Array, dst, res.data, src, outPlane, x1 - x0);
    }
    onTile();
    // The last tile of its row: the band is done.
    if (onBand && tiles[i + 1]?.y.keepStart !== y.keepStart) await onBand(out!);
  }
}
