/**
 * The local upscale pipeline: decode → model passes (tiled) → exact-size resize
 * → alpha back in. Loaded only when a local upscale actually runs.
 */
import { availableParallelism } from 'node:os';
import type { Sharp } from 'sharp';
import { loadModel, runTiled, tilePad } from './engine.js';
import { throwIfAborted } from './errors.js';
import { DEFAULT_LOCAL_MODEL, LOCAL_MODELS } from './models.js';
import { loadRuntime } from './runtime.js';
import { planScale } from './scale-plan.js';
import { planTiles, type Tile } from './tiling.js';
import type { LocalUpscaleOptions, LocalUpscaleResult } from './types.js';

/** Default largest tile side in input pixels (context included); see the README for the measurements. */
export const DEFAULT_TILE_SIZE = 192;

/**
 * Largest output accepted, in pixels: sharp's default input limit, so the caller
 * can encode the result without raising it (~800 MB of RGB).
 */
export const MAX_OUTPUT_PIXELS = 0x3fff * 0x3fff;

function positiveInt(v: number | undefined, name: string, min: number): number | undefined {
  if (v === undefined) return undefined;
  if (!Number.isInteger(v) || v < min) throw new RangeError(`${name} must be an integer >= ${min}, got ${v}`);
  return v;
}

/** How far (px) visible colour is spread under transparent pixels: beyond photo's and slim's reach (10), most of medium's (18). */
const BLEED_PX = 16;

/**
 * Gives fully transparent pixels the colour of their visible neighbours (grown ring by ring,
 * up to BLEED_PX), so the net does not blend whatever hides under alpha 0 (often black) into
 * visible edges: no dark fringe. Visible pixels are untouched.
 */
export function bleedUnderTransparency(rgb: Uint8Array, alpha: Uint8Array, width: number): void {
  const filled = Uint8Array.from(alpha, (a) => (a > 0 ? 1 : 0));
  let frontier: number[] = [];
  for (let i = 0; i < filled.length; i++) if (!filled[i]) frontier.push(i);
  for (let ring = 0; ring < BLEED_PX && frontier.length > 0; ring++) {
    const next: number[] = [];
    const done: [number, number, number, number][] = [];
    for (const i of frontier) {
      const x = i % width;
      let r = 0;
      let g = 0;
      let b = 0;
      let n = 0;
      for (const j of [x > 0 ? i - 1 : -1, x < width - 1 ? i + 1 : -1, i - width, i + width]) {
        if (j < 0 || j >= filled.length || !filled[j]) continue;
        r += rgb[j * 3]!;
        g += rgb[j * 3 + 1]!;
        b += rgb[j * 3 + 2]!;
        n++;
      }
      if (n > 0) done.push([i, r / n, g / n, b / n]);
      else next.push(i);
    }
    // Write after the ring: each ring reads only the one before it.
    for (const [i, r, g, b] of done) {
      rgb[i * 3] = Math.round(r);
      rgb[i * 3 + 1] = Math.round(g);
      rgb[i * 3 + 2] = Math.round(b);
      filled[i] = 1;
    }
    frontier = next;
  }
}

/** Implementation of `upscaleLocal`; see index.ts for the contract. */
export async function runUpscale(opts: LocalUpscaleOptions): Promise<LocalUpscaleResult> {
  const model = opts.model ?? DEFAULT_LOCAL_MODEL;
  const info = LOCAL_MODELS[model];
  if (!info)
    throw new RangeError(`unknown local model '${String(model)}' (${Object.keys(LOCAL_MODELS).join(', ')})`);
  const plan = planScale(opts.scale, info.scales);
  const threads = positiveInt(opts.threads, 'threads', 1) ?? availableParallelism();
  const tileSize = positiveInt(opts.tileSize, 'tileSize', 16) ?? DEFAULT_TILE_SIZE;
  const { signal } = opts;
  throwIfAborted(signal);

  // The runtime and the model load (the wasm compile, the session) while the input decodes.
  const loading = (async () => {
    const runtime = await loadRuntime(opts.runtime ?? 'auto', threads);
    const models = [];
    for (const s of new Set(plan.passes)) models.push(await loadModel(runtime, model, s));
    return { runtime, byScale: new Map(models.map((m) => [m.scale, m])) };
  })();
  // Awaited below; a decode error must not leave its rejection unhandled.
  loading.catch(() => undefined);
  const sharp = (await import('sharp')).default;
  const decoded = await sharp(opts.input)
    .autoOrient()
    .toColourspace('srgb')
    .raw({ depth: 'uchar' })
    .toBuffer({ resolveWithObject: true });
  const { width, height, channels } = decoded.info;
  if (channels !== 3 && channels !== 4)
    throw new Error(`local upscaler: unexpected ${channels}-channel image`);
  const targetW = Math.max(1, Math.round(width * opts.scale));
  const targetH = Math.max(1, Math.round(height * opts.scale));
  if (targetW * targetH > MAX_OUTPUT_PIXELS) {
    throw new RangeError(
      `output would be ${targetW}x${targetH} (${Math.round((targetW * targetH) / 1e6)} MP), over the ${Math.round(MAX_OUTPUT_PIXELS / 1e6)} MP limit`,
    );
  }

  // Split colour from alpha: the nets are RGB-only; alpha is resized on its own. Colour hidden
  // under alpha 0 is replaced by its visible neighbours' first (see bleedUnderTransparency).
  let rgb: Uint8Array = decoded.data;
  let alpha: Buffer | undefined;
  if (channels === 4) {
    rgb = new Uint8Array(width * height * 3);
    alpha = Buffer.alloc(width * height);
    for (let i = 0, j = 0; i < width * height; i++, j += 4) {
      rgb[i * 3] = decoded.data[j]!;
      rgb[i * 3 + 1] = decoded.data[j + 1]!;
      rgb[i * 3 + 2] = decoded.data[j + 2]!;
      alpha[i] = decoded.data[j + 3]!;
    }
    bleedUnderTransparency(rgb, alpha, width);
  }

  const { runtime, byScale } = await loading;
  throwIfAborted(signal);

  // Plan every pass up front so progress can report one total.
  const passPlans: { scale: number; width: number; height: number; tiles: Tile[] }[] = [];
  let w = width;
  let h = height;
  for (const s of plan.passes) {
    const m = byScale.get(s)!;
    passPlans.push({
      scale: s,
      width: w,
      height: h,
      tiles: planTiles(w, h, tileSize, tilePad(m.receptiveRadius, tileSize)),
    });
    w *= s;
    h *= s;
  }
  const tilesTotal = passPlans.reduce((n, p) => n + p.tiles.length, 0);
  let tilesDone = 0;
  opts.onProgress?.({ tilesDone, tilesTotal });

  for (const p of passPlans) {
    rgb = await runTiled(byScale.get(p.scale)!, rgb, p.width, p.height, p.tiles, signal, () => {
      tilesDone++;
      opts.onProgress?.({ tilesDone, tilesTotal });
    });
  }
  throwIfAborted(signal);

  const raw = (data: Uint8Array, rw: number, rh: number, ch: 1 | 3) =>
    sharp(data, { raw: { width: rw, height: rh, channels: ch }, limitInputPixels: false });
  if (plan.resize) {
    rgb = await raw(rgb, w, h, 3)
      .resize(targetW, targetH, { kernel: 'lanczos3', fit: 'fill' })
      .raw()
      .toBuffer();
  }
  let image: Sharp;
  if (alpha) {
    // One lanczos3 resize straight from the source alpha: sharp edges, no model artefacts.
    const a = await raw(alpha, width, height, 1)
      .resize(targetW, targetH, { kernel: 'lanczos3', fit: 'fill' })
      .toColourspace('b-w') // else sharp writes the one channel out as three sRGB ones
      .raw()
      .toBuffer();
    const rgba = Buffer.alloc(targetW * targetH * 4);
    for (let i = 0; i < targetW * targetH; i++) {
      rgba[i * 4] = rgb[i * 3]!;
      rgba[i * 4 + 1] = rgb[i * 3 + 1]!;
      rgba[i * 4 + 2] = rgb[i * 3 + 2]!;
      rgba[i * 4 + 3] = a[i]!;
    }
    image = sharp(rgba, { raw: { width: targetW, height: targetH, channels: 4 }, limitInputPixels: false });
  } else {
    image = raw(rgb, targetW, targetH, 3);
  }
  return {
    image,
    width: targetW,
    height: targetH,
    runtime: runtime.name,
    threads: runtime.threads,
    passes: plan.passes.length,
  };
}
