/**
 * The local upscale pipeline: decode → model passes (tiled) → exact-size resize
 * → alpha back in. Loaded only when a local upscale actually runs.
 */
import { availableParallelism } from 'node:os';
import type { Sharp } from 'sharp';
import { aliasScore, aliasSoftening, softenNyquist } from './alias-score.js';
import { type LoadedModel, loadModel, runTiled, runTiledBands, tilePad } from './engine.js';
import { throwIfAborted } from './errors.js';
import { looksJpegCompressed } from './jpeg-grid.js';
import { collectGarbage } from './memory.js';
import { DEFAULT_LOCAL_MODEL, LOCAL_MODELS } from './models.js';
import { greyOf, type Pixels, samplesLike, samplesOf, withAlpha } from './pixels.js';
import { openPngSpool } from './png-spool.js';
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

/**
 * While spooling, a garbage collection every this many tiles: each tile leaves its output array
 * (1.8 MB at 192 px and 2x), which V8 would let pile up to 60-100 MB, and the memory it came from
 * stays with the process. ~30 ms each, under 1% of the tiles' time.
 */
const COLLECT_EVERY_TILES = 16;

/** How far (px) visible colour is spread under transparent pixels: beyond photo's reach (14) and slim's (10), most of medium's (18). */
const BLEED_PX = 16;

/**
 * Gives fully transparent pixels the colour of their visible neighbours (grown ring by ring,
 * up to BLEED_PX), so the net does not blend whatever hides under alpha 0 (often black) into
 * visible edges: no dark fringe. Visible pixels are untouched.
 */
export function bleedUnderTransparency(rgb: Pixels, alpha: Pixels, width: number): void {
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
  // Grey stays grey and 16 bits stay 16 (PNG, TIFF): the nets see RGB either way.
  const meta = await sharp(opts.input).metadata();
  const deep = meta.depth === 'ushort';
  const grey = meta.channels === 1 || meta.channels === 2;
  const decoded = await sharp(opts.input)
    .autoOrient()
    .toColourspace(deep ? 'rgb16' : 'srgb')
    .raw({ depth: deep ? 'ushort' : 'uchar' })
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

  // A JPEG-compressed input, told by its pixels, gets the model's JPEG net (photo x4) for the first
  // pass, the one that sees the input; later passes see the first net's output, which has no blocks.
  const jpegNet =
    !deep &&
    opts.jpegAware !== false &&
    (info.jpegScales ?? []).includes(plan.passes[0]!) &&
    looksJpegCompressed(decoded.data, width, height, channels);

  // Split colour from alpha: the nets are RGB-only; alpha is resized on its own. Colour hidden
  // under alpha 0 is replaced by its visible neighbours' first (see bleedUnderTransparency).
  const samples = samplesOf(decoded.data, deep);
  let rgb: Pixels = samples;
  let alpha: Pixels | undefined;
  if (channels === 4) {
    rgb = samplesLike(samples, width * height * 3);
    alpha = samplesLike(samples, width * height);
    for (let i = 0, j = 0; i < width * height; i++, j += 4) {
      rgb[i * 3] = samples[j]!;
      rgb[i * 3 + 1] = samples[j + 1]!;
      rgb[i * 3 + 2] = samples[j + 2]!;
      alpha[i] = samples[j + 3]!;
    }
    bleedUnderTransparency(rgb, alpha, width);
  }
  // An input reduced without antialiasing is softened first (see alias-score.ts); a JPEG is not:
  // its quantisation already took the top of the spectrum.
  const softening =
    info.aliasAware && opts.aliasAware !== false && !jpegNet
      ? aliasSoftening(aliasScore(rgb, width, height, 3))
      : 0;
  if (softening > 0) rgb = softenNyquist(rgb, width, height, softening);

  const { runtime, byScale } = await loading;
  const firstNet = jpegNet ? await loadModel(runtime, model, plan.passes[0]!, true) : undefined;
  throwIfAborted(signal);

  // Plan every pass up front so progress can report one total.
  const passPlans: { net: LoadedModel; width: number; height: number; tiles: Tile[] }[] = [];
  let w = width;
  let h = height;
  for (const [i, s] of plan.passes.entries()) {
    const m = (i === 0 && firstNet) || byScale.get(s)!;
    passPlans.push({
      net: m,
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
  const tileDone = () => {
    tilesDone++;
    opts.onProgress?.({ tilesDone, tilesTotal });
  };

  // With a spool file and no resize after the passes, the last pass's rows go to the file as its
  // rows of tiles finish: the output is never held whole (see LocalUpscaleOptions.spoolTo).
  const spool = plan.resize ? undefined : opts.spoolTo;
  for (const p of spool ? passPlans.slice(0, -1) : passPlans) {
    rgb = await runTiled(p.net, rgb, p.width, p.height, p.tiles, signal, tileDone);
  }
  throwIfAborted(signal);

  // Raw samples in (a Uint16Array tells sharp they are 16-bit), read as rgb16/grey16 or sRGB/b-w.
  const raw = (data: Pixels, rw: number, rh: number, ch: 1 | 3) =>
    sharp(data, {
      raw: { width: rw, height: rh, channels: ch },
      limitInputPixels: false,
    }).toColourspace(ch === 1 ? (deep ? 'grey16' : 'b-w') : deep ? 'rgb16' : 'srgb');
  const depth = deep ? 'ushort' : 'uchar';
  const colourChannels = grey ? 1 : 3;
  // One lanczos3 resize straight from the source alpha: sharp edges, no model artefacts.
  const alphaOut =
    alpha &&
    samplesOf(
      await raw(alpha, width, height, 1)
        .resize(targetW, targetH, { kernel: 'lanczos3', fit: 'fill' })
        .raw({ depth })
        .toBuffer(),
      deep,
    );
  const space = grey ? (deep ? 'grey16' : 'b-w') : deep ? 'rgb16' : 'srgb';
  let image: Sharp;
  if (spool) {
    const last = passPlans.at(-1)!;
    const channels = (colourChannels + (alphaOut ? 1 : 0)) as 1 | 2 | 3 | 4;
    const file = await openPngSpool(spool, targetW, targetH, channels, deep);
    let row = 0;
    let tiles = 0;
    try {
      await runTiledBands(
        last.net,
        rgb,
        last.width,
        last.height,
        last.tiles,
        signal,
        () => {
          tileDone();
          if (++tiles % COLLECT_EVERY_TILES === 0) collectGarbage();
        },
        async (band) => {
          const rows = band.length / (targetW * 3);
          const colour = grey ? greyOf(band) : band;
          const a = alphaOut?.subarray(row * targetW, (row + rows) * targetW);
          await file.writeRows(a ? withAlpha(colour, colourChannels, a) : colour);
          row += rows;
        },
      );
    } catch (error) {
      await file.abandon();
      throw error;
    }
    await file.close();
    image = sharp(spool, { limitInputPixels: false }).toColourspace(space);
  } else {
    if (plan.resize) {
      const resized = await raw(rgb, w, h, 3)
        .resize(targetW, targetH, { kernel: 'lanczos3', fit: 'fill' })
        .raw({ depth })
        .toBuffer();
      rgb = samplesOf(resized, deep);
    }
    const colour = grey ? greyOf(rgb) : rgb;
    if (alphaOut) {
      const all = withAlpha(colour, colourChannels, alphaOut);
      image = sharp(all, {
        raw: { width: targetW, height: targetH, channels: (colourChannels + 1) as 2 | 4 },
        limitInputPixels: false,
      }).toColourspace(space);
    } else {
      image = raw(colour, targetW, targetH, colourChannels);
    }
  }
  return {
    image,
    width: targetW,
    height: targetH,
    runtime: runtime.name,
    threads: runtime.threads,
    passes: plan.passes.length,
    jpegNet,
    softening,
    spooled: spool !== undefined,
  };
}
