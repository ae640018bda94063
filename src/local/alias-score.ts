/**
 * Tells a small image made without antialiasing (OpenCV's INTER_CUBIC, nearest-neighbour
 * thumbnails, a camera's line skipping) by its spectrum, and softens it before the photo net.
 *
 * Why: the photo nets learnt to undo the blur of an antialiased reduction, so they lift what lies
 * just below the Nyquist frequency. An aliased image has no such blur there, only folded detail and
 * grain at full strength, which lifted again becomes noise: a defocused photo with film grain lost
 * 4 dB to a plain Lanczos-3. A light 3-tap blur first gives the net the input it was trained on.
 *
 * The score: the luma's power spectrum, averaged over 64-pixel rows and columns, follows a power
 * law over the middle octave of most photos; an antialiased reduction falls below that line near
 * Nyquist (its filter), an aliased one stays on it or rises (folded energy). The score is the mean
 * log distance from the line over the top bins.
 */

import { lumaAt } from './pixels.js';

/** Samples per segment: 64 gives 32 frequency bins, enough for a middle octave and a top band. */
const N = 64;
/** Bins the power law is fitted on (k / N cycles per pixel: 0.09-0.25). */
const FIT_FROM = 6;
const FIT_TO = 16;
/** Bins scored against the line (0.41-0.5 cycles per pixel). */
const TOP_FROM = 26;
/** Segments taken each way at most: enough for a stable mean, and any image scores in ~20 ms. */
const MAX_SEGMENTS = 2048;

const HANN = Float64Array.from({ length: N }, (_, i) => 0.5 - 0.5 * Math.cos((2 * Math.PI * (i + 0.5)) / N));
const COS = Float64Array.from({ length: (N / 2 + 1) * N }, (_, j) =>
  Math.cos((2 * Math.PI * Math.floor(j / N) * (j % N)) / N),
);
const SIN = Float64Array.from({ length: (N / 2 + 1) * N }, (_, j) =>
  Math.sin((2 * Math.PI * Math.floor(j / N) * (j % N)) / N),
);

/** Adds one segment's windowed power spectrum (bins 1..N/2) to `power`. */
function addSpectrum(segment: Float64Array, power: Float64Array): void {
  let mean = 0;
  for (let i = 0; i < N; i++) mean += segment[i]!;
  mean /= N;
  for (let i = 0; i < N; i++) segment[i] = (segment[i]! - mean) * HANN[i]!;
  for (let k = 1; k <= N / 2; k++) {
    let re = 0;
    let im = 0;
    for (let i = 0, j = k * N; i < N; i++, j++) {
      re += segment[i]! * COS[j]!;
      im += segment[i]! * SIN[j]!;
    }
    power[k] = power[k]! + re * re + im * im;
  }
}

/**
 * Mean log distance of the top bins' power from the power law fitted on the middle ones: about
 * -0.8 for sharp's or MATLAB's reduction of a photo, about +0.3 for an aliased one (see
 * ALIAS_SCORE_FROM). NaN when the image is under 64 pixels either way or flat.
 */
export function aliasScore(
  samples: ArrayLike<number>,
  width: number,
  height: number,
  channels: number,
): number {
  if (width < N || height < N) return Number.NaN;
  const luma = (x: number, y: number) => lumaAt(samples, (y * width + x) * channels);
  const power = new Float64Array(N / 2 + 1);
  const segment = new Float64Array(N);
  // Segments of N pixels along every `step`-th line (rows, then columns), sampled evenly.
  const addLines = (length: number, lines: number, at: (i: number, line: number) => number) => {
    const perLine = Math.floor(length / N);
    const step = Math.max(1, Math.ceil((lines * perLine) / MAX_SEGMENTS));
    for (let k = 0; k < lines; k += step)
      for (let s = 0; s < perLine; s++) {
        for (let i = 0; i < N; i++) segment[i] = at(s * N + i, k);
        addSpectrum(segment, power);
      }
  };
  addLines(width, height, luma);
  addLines(height, width, (y, x) => luma(x, y));
  // Least squares of log power on log frequency over the middle bins.
  let sx = 0;
  let sy = 0;
  let sxx = 0;
  let sxy = 0;
  let n = 0;
  for (let k = FIT_FROM; k <= FIT_TO; k++) {
    if (!(power[k]! > 0)) return Number.NaN;
    const x = Math.log(k);
    const y = Math.log(power[k]!);
    sx += x;
    sy += y;
    sxx += x * x;
    sxy += x * y;
    n++;
  }
  const slope = (n * sxy - sx * sy) / (n * sxx - sx * sx);
  const intercept = (sy - slope * sx) / n;
  let distance = 0;
  for (let k = TOP_FROM; k <= N / 2; k++) {
    if (!(power[k]! > 0)) return Number.NaN;
    distance += Math.log(power[k]!) - (intercept + slope * Math.log(k));
  }
  return distance / (N / 2 - TOP_FROM + 1);
}

/**
 * Scores from which an input is softened, and from which fully (ALIAS_SOFTEN_MAX); graded between,
 * as the scores of the reductions overlap. Calibrated on the 78 training and 11 selection photos
 * (never the held-out set), each brought to 1024 px and reduced ×4 and ×2. Scores ×4: sharp's
 * reduction median -0.82 (1 of 78 above 0), aliased bicubic +0.31 (59 of 78 above 0), box -0.17,
 * noise σ 6 -0.26. Gains over Lanczos-3 with and without the softening (training photos, ×4):
 * aliased +0.97 → +0.99 dB and photos that lose 6 → 3; noise +1.04 → +1.15, 3 → 1; sharp's
 * reduction -0.002 dB; box -0.03 dB (a box reduction aliases too, and some gain less softened).
 */
export const ALIAS_SCORE_FROM = 0;
export const ALIAS_SCORE_FULL = 0.6;
/** The 3-tap blur's outer weight at full strength ([a, 1 - 2a, a] each way): 0.09 and up cost more on the box reductions it reaches than it gives back. */
export const ALIAS_SOFTEN_MAX = 0.06;

/** The blur's outer weight for a score: 0 up to ALIAS_SCORE_FROM, then rising to ALIAS_SOFTEN_MAX. */
export function aliasSoftening(score: number): number {
  if (!(score > ALIAS_SCORE_FROM)) return 0;
  return ALIAS_SOFTEN_MAX * Math.min(1, (score - ALIAS_SCORE_FROM) / (ALIAS_SCORE_FULL - ALIAS_SCORE_FROM));
}

/**
 * The RGB samples blurred by [a, 1 - 2a, a] across and down (edges repeated), rounded to the same
 * depth: a light low-pass that takes the top of the spectrum down as an antialiasing filter would.
 * Row by row (three rows blurred across at a time), so a large input costs no float copy of itself.
 */
export function softenNyquist<T extends Uint8Array | Uint16Array>(
  rgb: T,
  width: number,
  height: number,
  a: number,
): T {
  const stride = width * 3;
  const centre = 1 - 2 * a;
  const across = (y: number, into: Float32Array): Float32Array => {
    const row = y * stride;
    for (let x = 0; x < width; x++) {
      const left = row + Math.max(x - 1, 0) * 3;
      const here = row + x * 3;
      const right = row + Math.min(x + 1, width - 1) * 3;
      for (let c = 0; c < 3; c++)
        into[x * 3 + c] = a * (rgb[left + c]! + rgb[right + c]!) + centre * rgb[here + c]!;
    }
    return into;
  };
  let up: Float32Array = across(0, new Float32Array(stride));
  let here: Float32Array = across(0, new Float32Array(stride));
  let down: Float32Array = new Float32Array(stride);
  const out = (rgb instanceof Uint16Array ? new Uint16Array(rgb.length) : new Uint8Array(rgb.length)) as T;
  for (let y = 0; y < height; y++) {
    down = across(Math.min(y + 1, height - 1), down);
    const row = y * stride;
    for (let i = 0; i < stride; i++) out[row + i] = Math.round(a * (up[i]! + down[i]!) + centre * here[i]!);
    [up, here, down] = [here, down, up];
  }
  return out;
}
