/**
 * Tile planning for seam-free tiled inference.
 *
 * Every window is the same size (so the runtime plans memory once) and each
 * window only *keeps* pixels at least `pad` away from its edges. Windows may
 * reach `pad` pixels past the image border; those pixels are mirrored (see
 * reflectIndex), because the nets zero-pad and would otherwise darken a band
 * along the border. When pad >= the net's receptive radius, the kept pixels are
 * exactly what one big window over the mirrored image computes, so there is
 * nothing to blend and no seam.
 */

/** One window along one axis, in image pixels. */
export interface AxisSpan {
  /** First pixel fed to the model; may be negative (mirrored border). */
  start: number;
  /** Window length. */
  size: number;
  /** Kept region [keepStart, keepEnd); the kept regions of an axis partition [0, length). */
  keepStart: number;
  keepEnd: number;
}

/** A 2-D tile: the product of an x span and a y span. */
export interface Tile {
  x: AxisSpan;
  y: AxisSpan;
}

/**
 * Splits [0, length) into equal windows of at most `maxWindow` pixels (or one
 * window of length + 2*pad if that is smaller) with `pad` pixels of context
 * around every kept region.
 */
export function planAxis(length: number, maxWindow: number, pad: number): AxisSpan[] {
  if (!Number.isInteger(length) || length < 1) throw new RangeError(`bad length ${length}`);
  const total = length + 2 * pad; // the image plus its mirrored borders
  if (total <= maxWindow) return [{ start: -pad, size: total, keepStart: 0, keepEnd: length }];
  const core = maxWindow - 2 * pad;
  if (core < 1) throw new RangeError(`tile size ${maxWindow} leaves no room inside ${pad}px of overlap`);
  const n = Math.ceil(length / core);
  // Shrink windows to the smallest size that still needs only n of them: less
  // overlap to compute twice.
  const size = Math.ceil(length / n) + 2 * pad;
  const spans: AxisSpan[] = [];
  for (let i = 0; i < n; i++) {
    // Spread windows evenly over the padded axis; consecutive starts differ by at
    // most size - 2*pad, so overlaps are >= 2*pad.
    const start = n === 1 ? 0 : Math.floor((i * (total - size)) / (n - 1));
    const next = i + 1 < n ? Math.floor(((i + 1) * (total - size)) / (n - 1)) : undefined;
    // Cut halfway through the overlap with the next window.
    const keepEnd = next === undefined ? length : next + Math.floor((start + size - next) / 2) - pad;
    spans.push({ start: start - pad, size, keepStart: spans[i - 1]?.keepEnd ?? 0, keepEnd });
  }
  return spans;
}

/** Row-major tiles covering a width x height image. */
export function planTiles(width: number, height: number, maxWindow: number, pad: number): Tile[] {
  const xs = planAxis(width, maxWindow, pad);
  const ys = planAxis(height, maxWindow, pad);
  return ys.flatMap((y) => xs.map((x) => ({ x, y })));
}

/** Maps any integer coordinate into [0, n) by mirroring at the edges without repeating them (…2 1 0 1 2…). */
export function reflectIndex(i: number, n: number): number {
  if (n === 1) return 0;
  const period = 2 * (n - 1);
  const m = ((i % period) + period) % period;
  return m < n ? m : period - m;
}
