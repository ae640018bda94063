/**
 * Tile planning for seam-free tiled inference.
 *
 * Every window is the same size (so the runtime plans memory once), windows
 * overlap by at least 2*pad, and each window only *keeps* the part at least
 * `pad` pixels from any inner edge. When pad >= the net's receptive radius the
 * kept pixels are exactly what an untiled run computes, so there is nothing to
 * blend and no seam; the image border is zero-padded the same way in both.
 */

/** One window along one axis, in input pixels. */
export interface AxisSpan {
  /** First input pixel fed to the model. */
  start: number;
  /** Window length. */
  size: number;
  /** Kept output region, [keepStart, keepEnd) in input pixels; spans tile the axis exactly. */
  keepStart: number;
  keepEnd: number;
}

/** A 2-D tile: the product of an x span and a y span. */
export interface Tile {
  x: AxisSpan;
  y: AxisSpan;
}

/**
 * Splits [0, length) into equal windows of at most `maxWindow` pixels whose kept
 * regions are at least `pad` from inner window edges.
 */
export function planAxis(length: number, maxWindow: number, pad: number): AxisSpan[] {
  if (!Number.isInteger(length) || length < 1) throw new RangeError(`bad length ${length}`);
  if (length <= maxWindow) return [{ start: 0, size: length, keepStart: 0, keepEnd: length }];
  const core = maxWindow - 2 * pad;
  if (core < 1) throw new RangeError(`tile size ${maxWindow} leaves no room inside ${pad}px of overlap`);
  const n = Math.ceil((length - 2 * pad) / core);
  // Shrink windows to the smallest size that still needs only n of them: less
  // overlap to compute twice.
  const size = Math.ceil((length - 2 * pad) / n) + 2 * pad;
  const starts = Array.from({ length: n }, (_, i) => Math.floor((i * (length - size)) / (n - 1)));
  const spans: AxisSpan[] = [];
  for (let i = 0; i < n; i++) {
    const start = starts[i]!;
    const next = starts[i + 1];
    // Cut halfway through the overlap with the next window; overlap >= 2*pad by construction.
    const keepEnd = next === undefined ? length : next + Math.floor((start + size - next) / 2);
    spans.push({ start, size, keepStart: spans[i - 1]?.keepEnd ?? 0, keepEnd });
  }
  return spans;
}

/** Row-major tiles covering a width x height image. */
export function planTiles(width: number, height: number, maxWindow: number, pad: number): Tile[] {
  const xs = planAxis(width, maxWindow, pad);
  const ys = planAxis(height, maxWindow, pad);
  return ys.flatMap((y) => xs.map((x) => ({ x, y })));
}
