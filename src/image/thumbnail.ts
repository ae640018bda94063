/**
 * A full decode of an image down to a small colour thumbnail: proves the file is whole (a
 * truncated download fails here, not later inside a converter) and gives recovery something to
 * compare results with inputs by — in colour, and in structure (the layout of grey levels and
 * edges at low resolution), which survives a creative re-interpretation's new colours and detail.
 */
export const THUMB_SIDE = 64;

export interface Thumbnail {
  /** THUMB_SIDE² RGB pixels, the whole image squeezed in (aspect not kept). */
  readonly pixels: Buffer;
  /** The stored size of the image. */
  readonly width: number;
  readonly height: number;
}

/** Decodes every pixel of `path`; undefined when it does not decode to the end. */
export async function decodeThumbnail(path: string, orient = false): Promise<Thumbnail | undefined> {
  const sharp = (await import('sharp')).default;
  try {
    const image = sharp(path, { failOn: 'truncated', sequentialRead: true, limitInputPixels: false });
    const meta = await image.metadata();
    if (!meta.width || !meta.height) return undefined;
    const turned = orient ? image.rotate() : image;
    const pixels = await turned
      .resize(THUMB_SIDE, THUMB_SIDE, { fit: 'fill' })
      .flatten({ background: '#808080' })
      .removeAlpha()
      .toColourspace('srgb')
      .raw()
      .toBuffer();
    return { pixels, width: meta.width, height: meta.height };
  } catch {
    return undefined;
  }
}

/** Mean absolute difference per channel (0–255) of two thumbnails. */
export function thumbnailDistance(a: Thumbnail, b: Thumbnail): number {
  const n = Math.min(a.pixels.length, b.pixels.length);
  if (n === 0) return 255;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += Math.abs(a.pixels[i]! - b.pixels[i]!);
  return sum / n;
}

/**
 * Side of the grey grid structure is compared on: coarse enough that the detail an upscaler adds
 * or invents (and the resampling of a small input) averages out, fine enough to keep a layout.
 */
export const STRUCTURE_SIDE = 16;
/** A grid whose grey levels spread less than this (standard deviation, 0–255) is flat: no structure. */
const FLAT_SPREAD = 1.5;

/** Luma (BT.601) of the thumbnail, averaged into STRUCTURE_SIDE² cells. */
function greyGrid(thumb: Thumbnail): Float64Array {
  const cell = THUMB_SIDE / STRUCTURE_SIDE;
  const grid = new Float64Array(STRUCTURE_SIDE * STRUCTURE_SIDE);
  const p = thumb.pixels;
  for (let y = 0; y < THUMB_SIDE; y++) {
    const row = Math.floor(y / cell) * STRUCTURE_SIDE;
    for (let x = 0; x < THUMB_SIDE; x++) {
      const i = (y * THUMB_SIDE + x) * 3;
      grid[row + Math.floor(x / cell)]! += 0.299 * p[i]! + 0.587 * p[i + 1]! + 0.114 * p[i + 2]!;
    }
  }
  return grid.map((v) => v / (cell * cell));
}

/** Gradient magnitude of a grid (central differences, edges clamped): where the edges are. */
function edges(grid: Float64Array): Float64Array {
  const n = STRUCTURE_SIDE;
  const at = (x: number, y: number) =>
    grid[Math.min(n - 1, Math.max(0, y)) * n + Math.min(n - 1, Math.max(0, x))]!;
  const out = new Float64Array(n * n);
  for (let y = 0; y < n; y++)
    for (let x = 0; x < n; x++)
      out[y * n + x] = Math.hypot(at(x + 1, y) - at(x - 1, y), at(x, y + 1) - at(x, y - 1));
  return out;
}

/** Normalised cross-correlation (−1…1); undefined when either side barely varies. */
function correlation(a: Float64Array, b: Float64Array): number | undefined {
  const n = a.length;
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < n; i++) {
    ma += a[i]!;
    mb += b[i]!;
  }
  ma /= n;
  mb /= n;
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < n; i++) {
    const x = a[i]! - ma;
    const y = b[i]! - mb;
    ab += x * y;
    aa += x * x;
    bb += y * y;
  }
  const floor = n * FLAT_SPREAD * FLAT_SPREAD;
  return aa < floor || bb < floor ? undefined : ab / Math.sqrt(aa * bb);
}

/**
 * How far apart two pictures are in structure, 0 (same layout) to 2 (opposite); about 1 for
 * unrelated pictures, and for a negative. The mean of two correlations on a small grey grid: of
 * the grey levels (blind to brightness and contrast), and of the edges' strength (blind to a
 * flipped light/dark contrast as well, which a strong recolouring can cause). Colours themselves
 * play no part, so a result recoloured or re-imagined at high creativity stays close to its
 * input. Undefined when either picture is flat (one colour): structure cannot tell, colour must.
 */
export function structureDistance(a: Thumbnail, b: Thumbnail): number | undefined {
  const ga = greyGrid(a);
  const gb = greyGrid(b);
  const grey = correlation(ga, gb);
  if (grey === undefined) return undefined;
  // A smooth ramp has edges of one strength everywhere: then the grey levels alone tell.
  const edge = correlation(edges(ga), edges(gb)) ?? grey;
  return 1 - (grey + edge) / 2;
}
