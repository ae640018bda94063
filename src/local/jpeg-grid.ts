/**
 * Tells a JPEG-compressed image from a clean one by its pixels: JPEG quantises each 8×8 block's
 * DCT, so on the encoder's grid the blocks' high frequencies are mostly rounded away, while the
 * same image cut into blocks 4 pixels off that grid keeps them (the block edges land inside).
 * A clean image has no grid: its blocks hold about the same high-frequency energy wherever they
 * are cut. The score compares the two; the photo model's JPEG net is used below the threshold.
 *
 * Pixel-based rather than "is the file a .jpg", so a JPEG saved again as PNG (screenshots,
 * re-exports) counts, and a JPEG saved at quality 98 (next to clean) does not.
 */

import { lumaAt } from './pixels.js';

/** The 8-point DCT-II basis (orthonormal): COS[u * 8 + x]. */
const COS = Float64Array.from({ length: 64 }, (_, i) => {
  const u = Math.floor(i / 8);
  const x = i % 8;
  return (Math.cos(((2 * x + 1) * u * Math.PI) / 16) * (u === 0 ? Math.SQRT1_2 : 1)) / 2;
});

/** Frequencies counted as high: u + v at least this (q75 rounds most of them to 0). */
const HIGH_FROM = 3;

/**
 * Below this score with the grid at (0, 0) an image is taken as JPEG-compressed. Calibrated on the
 * 78 training photos and the 11 selection photos (never the held-out set), each brought to 1024 px
 * and reduced ×4: with the grid at (0, 0), clean reductions (sharp's, MATLAB's bicubic, aliased
 * bicubic, box) and σ 6 noise scored 0.894 and up, JPEG q75 at most 0.867 (q50 0.824, q85 0.901,
 * q90 0.914, q95 0.967: 88, 84 and 42 of 89 caught; a q95 JPEG is close to clean, and the clean net
 * suits it). On 64×64 crops (what the quality test feeds) 2 of 344 clean ones fall below (0.869,
 * 0.883), JPEG q75 stays ≤ 0.816.
 */
export const JPEG_GRID_THRESHOLD = 0.88;

/**
 * The threshold when the grid was found elsewhere than at (0, 0) (a cropped JPEG): picking the
 * offset whose blocks hold the least biases a clean image's score down, so it must be lower. Same
 * photos: a JPEG cropped 3 and 5 pixels off its grid, q75 caught 58 times of the 59 large enough
 * to search (MIN_SEARCH_SIDE), q90 45; clean reductions found off the grid (1-2 of 89 per kind)
 * stayed above it: none of the 445 clean or noisy inputs is caught.
 */
export const OFF_GRID_THRESHOLD = 0.85;

/** Per-block high-frequency sum below which an image counts as flat: 8-bit rounding alone gives ~30. */
const FLAT = 0.5;

/** Blocks scored per grid position at most: a 64-block crop already separates well; this keeps any image under ~20 ms. */
const MAX_BLOCKS = 4096;

/**
 * Mean over the sampled blocks (top-left corners `bx + ox`, `by + oy`) of Σ sqrt|C(u,v)| for
 * u + v ≥ HIGH_FROM: the square root weighs many small coefficients (what quantisation zeroes)
 * above a few strong edges.
 */
function highFrequency(
  samples: ArrayLike<number>,
  width: number,
  channels: number,
  corners: readonly [number, number][],
  ox: number,
  oy: number,
): number {
  const luma = new Float64Array(8);
  const rows = new Float64Array(64);
  let sum = 0;
  for (const [bx, by] of corners) {
    for (let y = 0; y < 8; y++) {
      // Luma (BT.601) of the block's row, read straight from the samples: only sampled blocks are converted.
      for (let x = 0, j = ((by + oy + y) * width + bx + ox) * channels; x < 8; x++, j += channels)
        luma[x] = lumaAt(samples, j);
      for (let u = 0; u < 8; u++) {
        let s = 0;
        for (let x = 0; x < 8; x++) s += COS[u * 8 + x]! * luma[x]!;
        rows[y * 8 + u] = s;
      }
    }
    for (let v = 0; v < 8; v++)
      for (let u = Math.max(0, HIGH_FROM - v); u < 8; u++) {
        let s = 0;
        for (let y = 0; y < 8; y++) s += COS[v * 8 + y]! * rows[y * 8 + u]!;
        sum += Math.sqrt(Math.abs(s));
      }
  }
  return sum / corners.length;
}

/**
 * Where the encoder's 8×8 grid lies, across and down (0-7). A JPEG rounds away most of each
 * block's high frequencies, so 8 pixels of a row cut on the grid hold little above the middle of
 * their 1D spectrum, and the same row cut anywhere else holds more: the offset whose cuts hold the
 * least. An image cropped off the grid, or turned by its EXIF orientation with a side that is not a
 * multiple of 8, has its grid elsewhere than at 0. For a clean image the answer is arbitrary, and
 * the score is about 1 whichever offset it reads.
 */
export function gridOffset(
  samples: ArrayLike<number>,
  width: number,
  height: number,
  channels: number,
): [number, number] {
  const luma = (x: number, y: number) => lumaAt(samples, (y * width + x) * channels);
  const along = (length: number, lines: number, at: (i: number, k: number) => number) => {
    const cuts = Math.floor((length - 7) / 8); // 8-pixel cuts that fit at every offset
    const every = Math.max(1, Math.ceil((lines * cuts) / MAX_CUTS));
    const high = new Float64Array(8);
    const cut = new Float64Array(8);
    for (let k = 0; k < lines; k += every)
      for (let o = 0; o < 8; o++)
        for (let c = 0; c < cuts; c++) {
          for (let x = 0; x < 8; x++) cut[x] = at(c * 8 + o + x, k);
          for (let u = HIGH_1D_FROM; u < 8; u++) {
            let s = 0;
            for (let x = 0; x < 8; x++) s += COS[u * 8 + x]! * cut[x]!;
            high[o] = high[o]! + Math.sqrt(Math.abs(s));
          }
        }
    let best = 0;
    for (let o = 1; o < 8; o++) if (high[o]! < high[best]!) best = o;
    return high[best]! < GRID_MARGIN * high[0]! ? best : 0;
  };
  return [along(width, height, luma), along(height, width, (y, x) => luma(x, y))];
}

/**
 * An offset other than 0 is taken only when its cuts hold this much less than the cuts at 0: a
 * clean image's offsets differ by a few per cent, a JPEG's by 10-40 %.
 */
const GRID_MARGIN = 0.95;

/**
 * Sides (px) from which the grid is searched: in fewer blocks a fine repeat (a 64×64 rocket's launch
 * tower) can pass for a grid 4 pixels off, and score as a JPEG there.
 */
const MIN_SEARCH_SIDE = 128;

/** 1D frequencies counted as high when finding the grid (of 0-7). */
const HIGH_1D_FROM = 4;

/** 8-pixel cuts read per offset and direction at most: ~5 ms on any image. */
const MAX_CUTS = 2048;

/** Blocks on the grid at `grid` (and 4 pixels further), sampled: their high frequencies on the grid over off it. */
function scoreOn(
  samples: ArrayLike<number>,
  width: number,
  height: number,
  channels: number,
  grid: readonly [number, number],
): number {
  // Blocks that fit at the grid's offset and 4 pixels further: one block less each way.
  const across = Math.floor((width - 4 - grid[0]) / 8);
  const down = Math.floor((height - 4 - grid[1]) / 8);
  if (across < 2 || down < 2) return Number.NaN;
  const step = Math.max(1, Math.ceil(Math.sqrt((across * down) / MAX_BLOCKS)));
  const corners: [number, number][] = [];
  for (let j = 0; j < down; j += step) for (let i = 0; i < across; i += step) corners.push([i * 8, j * 8]);
  const at = (ox: number, oy: number) =>
    highFrequency(samples, width, channels, corners, grid[0] + ox, grid[1] + oy);
  const on = at(0, 0);
  const off = (at(4, 0) + at(0, 4) + at(4, 4)) / 3;
  // A flat image (nothing above floating-point noise off the grid either) has no verdict.
  return off > FLAT ? on / off : Number.NaN;
}

/**
 * The image's high frequencies on its 8×8 grid, over their mean on the grids 4 pixels off it
 * (across, down, both): about 1 for a clean image, 0.5-0.87 for a JPEG at quality 75. The grid is
 * taken at (0, 0), where an uncropped JPEG has it; when the score there says clean, where
 * gridOffset finds it (a cropped JPEG). NaN when the image is flat, or too small to have two blocks
 * each way.
 */
export function jpegGrid(
  samples: ArrayLike<number>,
  width: number,
  height: number,
  channels: 3 | 4,
): { score: number; grid: [number, number] } {
  const origin = scoreOn(samples, width, height, channels, [0, 0]);
  if (!(origin >= JPEG_GRID_THRESHOLD) || width < MIN_SEARCH_SIDE || height < MIN_SEARCH_SIDE)
    return { score: origin, grid: [0, 0] };
  const grid = gridOffset(samples, width, height, channels);
  if (grid[0] === 0 && grid[1] === 0) return { score: origin, grid };
  return { score: scoreOn(samples, width, height, channels, grid), grid };
}

/** jpegGrid's score alone. */
export function jpegGridScore(
  samples: ArrayLike<number>,
  width: number,
  height: number,
  channels: 3 | 4,
): number {
  return jpegGrid(samples, width, height, channels).score;
}

/** True when the image looks JPEG-compressed (see {@link JPEG_GRID_THRESHOLD}); a flat or tiny image is not. */
export function looksJpegCompressed(
  samples: ArrayLike<number>,
  width: number,
  height: number,
  channels: 3 | 4,
): boolean {
  const { score, grid } = jpegGrid(samples, width, height, channels);
  return score < (grid[0] === 0 && grid[1] === 0 ? JPEG_GRID_THRESHOLD : OFF_GRID_THRESHOLD);
}
