/**
 * The pixels the engine works on: 8 bits per sample, or 16 for 16-bit inputs (PNG, TIFF), which
 * keep their depth through the nets (their float input is the 16-bit value / 257, in the nets'
 * 0..255 range, and their output goes back × 257 without rounding to 8 bits first).
 */

/** Interleaved samples, 8 or 16 bits. */
export type Pixels = Uint8Array | Uint16Array;

/** sharp's raw bytes as samples of `deep` (16-bit) or 8-bit depth. */
export function samplesOf(data: Buffer, deep: boolean): Pixels {
  if (!deep) return data;
  if (data.byteOffset % 2 === 0) return new Uint16Array(data.buffer, data.byteOffset, data.length / 2);
  return new Uint16Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.length));
}

/**
 * BT.601 luma of the pixel whose first sample is `samples[j]` (R, G, B next to each other): what
 * the input checks (jpeg-grid.ts, alias-score.ts) read, as JPEG encodes its Y.
 */
export function lumaAt(samples: ArrayLike<number>, j: number): number {
  return 0.299 * samples[j]! + 0.587 * samples[j + 1]! + 0.114 * samples[j + 2]!;
}

/** An empty sample array of the same depth as `like`. */
export function samplesLike(like: Pixels, length: number): Pixels {
  return like instanceof Uint16Array ? new Uint16Array(length) : new Uint8Array(length);
}

/**
 * One grey sample per RGB pixel (their mean): a grey input goes through the RGB nets as R = G = B,
 * and their output's channels differ by a few levels that must not show as colour.
 */
export function greyOf(rgb: Pixels): Pixels {
  const grey = samplesLike(rgb, rgb.length / 3);
  for (let i = 0, j = 0; i < grey.length; i++, j += 3)
    grey[i] = Math.round((rgb[j]! + rgb[j + 1]! + rgb[j + 2]!) / 3);
  return grey;
}

/** `colour` (1 or 3 samples a pixel) with `alpha` (1) appended to each pixel. */
export function withAlpha(colour: Pixels, colourChannels: 1 | 3, alpha: Pixels): Pixels {
  const out = samplesLike(colour, alpha.length * (colourChannels + 1));
  for (let i = 0, o = 0, c = 0; i < alpha.length; i++) {
    for (let k = 0; k < colourChannels; k++) out[o++] = colour[c++]!;
    out[o++] = alpha[i]!;
  }
  return out;
}
