/**
 * The largest image each output format can hold, checked before an input is sent or inferred:
 * an output over its format's limit would otherwise fail only when it is encoded, after the work
 * (and, for a provider, the payment). Pure.
 */
import { UpscaleError } from '../errors.js';
import type { ImageFormat } from '../formats.js';
import type { Size } from '../providers/types.js';

/** Largest side, in pixels, of an image each format can store (libjpeg: 16-bit sides; WebP: 14-bit). */
export const FORMAT_MAX_SIDE: Readonly<Partial<Record<ImageFormat, number>>> = {
  jpeg: 65_535,
  webp: 16_383,
};

const NAME: Readonly<Partial<Record<ImageFormat, string>>> = { jpeg: 'JPEG', webp: 'WebP' };

/**
 * Refuses (IMAGE_TOO_LARGE, exit 2 when every input is) an output of `size` that `format` cannot
 * hold, naming the limit and the formats that can.
 */
export function checkFormatLimit(
  path: string,
  format: ImageFormat | undefined,
  size: Size | undefined,
): void {
  const max = format && FORMAT_MAX_SIDE[format];
  if (!max || !size || Math.max(size.width, size.height) <= max) return;
  const name = NAME[format] ?? format;
  throw new UpscaleError(
    'IMAGE_TOO_LARGE',
    `${path}: the output would be ${size.width}×${size.height}, over ${name}'s limit of ${max.toLocaleString('en-US')} px per side; nothing was sent`,
    { hint: `write it as PNG (--format png, or -o NAME.png) or TIFF, or use a smaller --scale` },
  );
}
