/**
 * Upscalers drop metadata, and they differ in what they do with it before: some turn the pixels
 * upright by the EXIF orientation, some do not; some convert colours from the input's ICC profile
 * to sRGB, some pass the stored numbers through. Neither is documented, so the finishing step
 * compares small thumbnails of the result with the input read each way and takes the closer one.
 */
import type { Sharp } from 'sharp';
import { applyOrientation, swapsSides } from './orient.js';
import type { SourceImage } from './source.js';

const THUMB = 16;

export interface ProviderTreatment {
  /** The result is already upright (the provider applied the EXIF orientation). */
  readonly rotated: boolean;
  /** The result's numbers are sRGB (`srgb`) or the input's profile's (`input`). */
  readonly colours: 'srgb' | 'input';
}

async function thumb(image: Sharp): Promise<Buffer> {
  return image.resize(THUMB, THUMB, { fit: 'fill' }).removeAlpha().toColourspace('srgb').raw().toBuffer();
}

function difference(a: Buffer, b: Buffer): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs(a[i]! - (b[i] ?? 0));
  return sum / Math.max(1, a.length);
}

/** How the provider treated the input's orientation and colours, judged from `resultPath`. */
export async function providerTreatment(source: SourceImage, resultPath: string): Promise<ProviderTreatment> {
  const sharp = (await import('sharp')).default;
  const result = await sharp(resultPath).metadata();
  const resultThumb = await thumb(sharp(resultPath));
  let rotated = false;
  if (source.orientation !== 1) {
    const portrait = (w: number, h: number) => Math.sign(w - h);
    const stored = portrait(source.width, source.height);
    if (swapsSides(source.orientation) && stored !== 0 && result.width && result.height) {
      // The aspect ratio tells for a quarter turn of a non-square image.
      rotated = portrait(result.width, result.height) === -stored;
    } else {
      const upright = await thumb(applyOrientation(sharp(source.path), source.orientation));
      const asStored = await thumb(sharp(source.path));
      rotated = difference(resultThumb, upright) < difference(resultThumb, asStored);
    }
  }
  // A result with its own profile says what its numbers are; sharp reads it as sRGB either way.
  if (!source.rgbIcc || result.icc) return { rotated, colours: 'srgb' };
  const oriented = (image: Sharp) => (rotated ? applyOrientation(image, source.orientation) : image);
  const converted = await thumb(oriented(sharp(source.path)));
  const raw = await thumb(oriented(sharp(source.path, { ignoreIcc: true })));
  return {
    rotated,
    colours: difference(resultThumb, raw) < difference(resultThumb, converted) ? 'input' : 'srgb',
  };
}
