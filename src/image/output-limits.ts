/**
 * Whether an output fits a provider's limits (pixels, side), and the refusal that names the
 * input's size and the largest scale that would fit. Pure: read by the pre-check and the sizing plan.
 */
import { UpscaleError } from '../errors.js';
import type { ParamValues, Provider, Size } from '../providers/types.js';

/** Largest scale in `scales` whose output stays within the provider's limits, if any. */
export function largestFittingScale(
  input: Size,
  provider: Provider,
  scales: readonly number[],
): number | undefined {
  const fits = scales.filter((s) =>
    outputFits({ width: input.width * s, height: input.height * s }, provider),
  );
  return fits.length > 0 ? Math.max(...fits) : undefined;
}

export function outputFits(output: Size, provider: Provider): boolean {
  const { maxOutputPixels, maxOutputSide } = provider.limits;
  if (maxOutputPixels !== undefined && output.width * output.height > maxOutputPixels) return false;
  if (maxOutputSide !== undefined && Math.max(output.width, output.height) > maxOutputSide) return false;
  return true;
}

/** Refuses an output beyond the provider's limits, naming the input's size and the largest scale that fits. */
export function checkOutputLimits(
  path: string,
  input: Size,
  provider: Provider,
  params: ParamValues,
  fitHint?: string,
): void {
  const output = provider.outputSize(input, params);
  if (!output || outputFits(output, provider)) return;
  const scale = provider.scaleOf(params);
  const fitting = largestFittingScale(input, provider, provider.limits.scales);
  const limit =
    provider.limits.maxOutputPixels !== undefined &&
    output.width * output.height > provider.limits.maxOutputPixels
      ? `the ${(provider.limits.maxOutputPixels / 1e6).toFixed(1)} MP output limit`
      : `the ${provider.limits.maxOutputSide} px per side output limit`;
  throw new UpscaleError(
    'IMAGE_TOO_LARGE',
    `${path} is ${input.width}×${input.height}: ${scale ? `${scale}x` : 'the requested scale'} gives ${output.width}×${output.height}, over ${limit} of ${provider.id}`,
    {
      hint:
        fitting !== undefined
          ? `use --scale ${fitting}x or smaller${fitHint ? `, ${fitHint}` : ''}, or downscale the input first`
          : `${fitHint ? `${fitHint}, or ` : ''}downscale the input first: even the smallest scale is over the limit`,
    },
  );
}
