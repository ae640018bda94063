/**
 * A full decode of an image down to a small colour thumbnail: proves the file is whole (a
 * truncated download fails here, not later inside a converter) and gives recovery something to
 * compare results with inputs by.
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
