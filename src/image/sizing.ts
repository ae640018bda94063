/**
 * What is sent for one input, from its size and the user's `--fit`, `--width`, `--height`: the
 * scale (the smallest of the provider's scales that reaches a target size), the input size sent
 * (downscaled just enough for the provider's output limit with `--fit`), the provider's output
 * size, and the exact size the output is resized down to. Pure: uses only the provider's limits,
 * `scaleOf` and `outputSize`.
 */
import { UpscaleError, usageError } from '../errors.js';
import type { ParamValues, Provider, Size } from '../providers/types.js';
import { displayedSize } from './orient.js';
import { checkOutputLimits, outputFits } from './output-limits.js';
import type { OutputOptions } from './output-options.js';

export interface Sizing {
  /** The provider parameters to send (with the scale picked for --width/--height). */
  readonly params: ParamValues;
  /** The stored size of the input to send, when --fit downscales it. */
  readonly send?: Size | undefined;
  /** The provider's output size, when known. */
  readonly expected?: Size | undefined;
  /** The output file's size as displayed, after the exact resize for --width/--height. */
  readonly finalSize?: Size | undefined;
}

/** The displayed size an output of `displayed` is resized to: one side given keeps the aspect, two fit inside. */
export function finalSizeOf(displayed: Size, options: OutputOptions): Size | undefined {
  const { width, height } = options;
  if (width === undefined && height === undefined) return undefined;
  const ratio = Math.min(
    width === undefined ? Number.POSITIVE_INFINITY : width / displayed.width,
    height === undefined ? Number.POSITIVE_INFINITY : height / displayed.height,
  );
  return {
    width: Math.max(1, Math.round(displayed.width * ratio)),
    height: Math.max(1, Math.round(displayed.height * ratio)),
  };
}

/** The largest size of `input`'s aspect whose output at `params` fits the provider's limits. */
export function fittedInput(input: Size, provider: Provider, params: ParamValues): Size {
  const scale = provider.scaleOf(params) ?? 1;
  const { maxOutputPixels, maxOutputSide } = provider.limits;
  let factor = 1;
  if (maxOutputPixels !== undefined)
    factor = Math.min(factor, Math.sqrt(maxOutputPixels / (input.width * input.height * scale * scale)));
  if (maxOutputSide !== undefined)
    factor = Math.min(factor, maxOutputSide / (Math.max(input.width, input.height) * scale));
  let size = {
    width: Math.max(1, Math.floor(input.width * factor)),
    height: Math.max(1, Math.floor(input.height * factor)),
  };
  // Rounding may leave the output a pixel over: shrink until it fits.
  for (let i = 0; i < 8; i++) {
    const output = provider.outputSize(size, params);
    if (!output || outputFits(output, provider)) break;
    size = {
      width: Math.max(1, size.width - 1),
      height: Math.max(1, Math.round((size.width - 1) / (input.width / input.height))),
    };
  }
  return size;
}

function fitHint(input: Size, provider: Provider, params: ParamValues): string {
  const fitted = fittedInput(input, provider, params);
  return `pass --fit to send it downscaled to ${fitted.width}×${fitted.height}`;
}

/**
 * The smallest provider scale whose output reaches `target` (displayed) within the output limit.
 * --fit cannot help here: a downscaled input gives at most the limit's size at any scale.
 */
function pickScale(path: string, displayed: Size, target: Size, provider: Provider, params: ParamValues) {
  const scales = [...provider.limits.scales].sort((a, b) => a - b);
  if (scales.length === 0) {
    throw usageError(
      `--width/--height need a provider with known scale factors; ${provider.id} has none`,
      'pick a provider with --scale (see `upscale providers`)',
    );
  }
  const needed = Math.max(target.width / displayed.width, target.height / displayed.height);
  const reaching = scales.filter((s) => s + 1e-9 >= needed);
  const withScale = (s: number) => ({ ...params, scale: s });
  const scale = reaching.find((s) => {
    const out = provider.outputSize(displayed, withScale(s));
    return !out || outputFits(out, provider);
  });
  if (scale === undefined) {
    const largest = scales[scales.length - 1]!;
    throw new UpscaleError(
      'IMAGE_TOO_LARGE',
      `${path} is ${displayed.width}×${displayed.height}: no scale of ${provider.id} reaches ${target.width}×${target.height}${reaching.length > 0 ? ' within its output limit' : ` (the largest is ${largest}x)`}`,
      { hint: 'ask for a smaller --width/--height' },
    );
  }
  return withScale(scale);
}

/**
 * The input limits some clients enforce (Comfy's nodes: at least 160 px per side, an aspect ratio
 * within 1:3–3:1): refused before sending, or with --fit a too-small input is upsized (lanczos3)
 * just enough. Returns the size to send instead, when it must change.
 */
function checkInputShape(path: string, stored: Size, provider: Provider, fit: boolean): Size | undefined {
  const { minInputSide: min, maxAspectRatio: maxRatio } = provider.limits;
  const ratio = Math.max(stored.width, stored.height) / Math.min(stored.width, stored.height);
  if (maxRatio !== undefined && ratio > maxRatio + 1e-9) {
    throw new UpscaleError(
      'UNSUPPORTED_INPUT',
      `${path} is ${stored.width}×${stored.height}: an aspect ratio of ${ratio.toFixed(2)}:1, outside ${provider.id}'s 1:${maxRatio}–${maxRatio}:1`,
      { hint: `crop it to at most ${maxRatio}:1 first, or use another provider` },
    );
  }
  if (min === undefined || Math.min(stored.width, stored.height) >= min) return undefined;
  const factor = min / Math.min(stored.width, stored.height);
  const up = { width: Math.ceil(stored.width * factor), height: Math.ceil(stored.height * factor) };
  if (!fit) {
    throw new UpscaleError(
      'IMAGE_TOO_SMALL',
      `${path} is ${stored.width}×${stored.height}: under ${provider.id}'s ${min} px minimum side`,
      { hint: `pass --fit to send it upsized to ${up.width}×${up.height}, or use another provider` },
    );
  }
  return up;
}

/** Plans one input; throws IMAGE_TOO_LARGE when the output is over the limit and `--fit` was not given. */
export function planSizing(
  path: string,
  stored: Size,
  orientation: number,
  provider: Provider,
  params: ParamValues,
  options: OutputOptions,
): Sizing {
  const displayed = displayedSize(stored, orientation);
  const target = finalSizeOf(displayed, options);
  const chosen = target ? pickScale(path, displayed, target, provider, params) : params;
  const upsized = checkInputShape(path, stored, provider, Boolean(options.fit));
  if (upsized) {
    // A small input made big enough: its output is then checked like any other.
    const expected = provider.outputSize(upsized, chosen);
    if (expected && !outputFits(expected, provider)) checkOutputLimits(path, upsized, provider, chosen);
    return { params: chosen, send: upsized, expected, finalSize: target };
  }
  const expected = provider.outputSize(stored, chosen);
  if (!expected || outputFits(expected, provider)) return { params: chosen, expected, finalSize: target };
  if (!options.fit) checkOutputLimits(path, stored, provider, chosen, fitHint(stored, provider, chosen));
  const send = fittedInput(stored, provider, chosen);
  const min = provider.limits.minInputSide;
  if (min !== undefined && Math.min(send.width, send.height) < min) {
    throw new UpscaleError(
      'IMAGE_TOO_LARGE',
      `${path}: fitting ${provider.id}'s output limit would shrink it to ${send.width}×${send.height}, under its ${min} px minimum`,
      { hint: 'use a smaller --scale' },
    );
  }
  return { params: chosen, send, expected: provider.outputSize(send, chosen) };
}
