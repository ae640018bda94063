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

/** The 8-point DCT-II basis (orthonormal): COS[u * 8 + x]. */
const COS = Float64Array.from({ length: 64 }, (_, i) => {
  const u = Math.floor(i / 8);
  const x = i % 8;
  return (Math.cos(((2 * x + 1) * u * Math.PI) / 16) * (u === 0 ? Math.SQRT1_2 : 1)) / 2;
});

/** Frequencies counted as high: u + v at least this (q75 rounds most of them to 0). */
const HIGH_FROM = 3;

/**
 * Below this score an image is taken as JPEG-compressed. Calibrated on the 78 training photos
 * and the 11 selection photos (never the held-out set), each brought to 1024 px and reduced ×4:
 * clean reductions (sharp's, MATLAB's bicubic, aliased bicubic, box) and σ 6 noise scored
 * 0.894 and up, JPEG q75 at most 0.867 (q50 0.824, q85 0.901, q90 0.914, q95 0.967: 88, 84 and 42
 * of 89 caught; a q95 JPEG is close to clean, and the clean net suits it). On 64×64 crops (what
 * the quality test feeds) 2 of 344 clean ones fall below (0.869, 0.883), JPEG q75 stays ≤ 0.816.
 */
export const JPEG_GRID_THRESHOLD = 0.88;

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
        luma[x] = 0.299 * samples[j]! + 0.587 * samples[j + 1]! + 0.114 * samples[j + 2]!;
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
 * The image's high frequencies on the 8×8 grid at (0, 0), over their mean on the grids 4 pixels
 * off it (across, down, both): about 1 for a clean image, 0.5-0.87 for a JPEG at quality 75.
 * NaN when the image is flat, or too small to have two blocks each way.
 */
export function jpegGridScore(
  samples: ArrayLike<number>,
  width: number,
  height: number,
  channels: 3 | 4,
): number {
  // Blocks that fit at every offset (0 and 4 pixels): corners on the grid, one block less each way.
  const across = Math.floor((width - 4) / 8);
  const down = Math.floor((height - 4) / 8);
  if (across < 2 || down < 2) return Number.NaN;
  const step = Math.max(1, Math.ceil(Math.sqrt((across * down) / MAX_BLOCKS)));
  const corners: [number, number][] = [];
  for (let j = 0; j < down; j += step) for (let i = 0; i < across; i += step) corners.push([i * 8, j * 8]);
  const at = (ox: number, oy: number) => highFrequency(samples, width, channels, corners, ox, oy);
  const on = at(0, 0);
  const off = (at(4, 0) + at(0, 4) + at(4, 4)) / 3;
  // A flat image (nothing above floating-point noise off the grid either) has no verdict.
  return off > FLAT ? on / off : Number.NaN;
}

/** True when the image looks JPEG-compressed (see {@link JPEG_GRID_THRESHOLD}); a flat or tiny image is not. */
export function looksJpegCompressed(
  samples: ArrayLike<number>,
  width: number,
  height: number,
  channels: 3 | 4,
): boolean {
  return jpegGridScore(samples, width, height, channels) < JPEG_GRID_THRESHOLD;
}
