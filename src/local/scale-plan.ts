/**
 * Chooses model passes for a requested factor.
 *
 * - A factor a model has (2, 3, 4, 8): one pass.
 * - Other factors up to the largest model: the model whose factor is nearest
 *   (in log terms; ties go up, since shrinking a sharper result beats enlarging
 *   a softer one), then a lanczos3 resize to the exact size.
 * - Beyond the largest model: repeated x4 passes until what is left fits one
 *   pass (16 = 4 then 4; 12 = 4 then 3). x4 is used rather than x8 because the
 *   second pass runs on an image s^2 times bigger, so a smaller first step is cheaper.
 */

/** Result of {@link planScale}. */
export interface ScalePlan {
  /** Model factors, applied in order. */
  passes: number[];
  /** True when a final resize to the exact requested size is needed. */
  resize: boolean;
}

/** Largest factor accepted: two passes of the x4/x8 models. */
export const MAX_SCALE = 32;

/** Plans passes for `scale` given the model's factors (ascending). Throws RangeError on bad factors. */
export function planScale(scale: number, available: readonly number[]): ScalePlan {
  if (!Number.isFinite(scale) || scale <= 1)
    throw new RangeError(`scale must be a number greater than 1, got ${scale}`);
  if (scale > MAX_SCALE)
    throw new RangeError(
      `scale ${scale} is too large for the local provider (max ${MAX_SCALE}, by repeated passes)`,
    );
  const largest = Math.max(...available);
  const passes: number[] = [];
  let left = scale;
  while (left > largest) {
    const step = available.includes(4) ? 4 : largest;
    passes.push(step);
    left /= step;
  }
  // A remainder within 1% of 1 (e.g. 16.1 = 4*4*1.006) is a resize, not another pass.
  if (left > 1.01 || passes.length === 0) {
    let best = available[0]!;
    for (const s of available) {
      const d = Math.abs(Math.log(s / left));
      const bestD = Math.abs(Math.log(best / left));
      if (d < bestD - 1e-12 || (Math.abs(d - bestD) <= 1e-12 && s > best)) best = s;
    }
    passes.push(best);
  }
  const product = passes.reduce((a, b) => a * b, 1);
  return { passes, resize: Math.abs(product - scale) > 1e-9 };
}
