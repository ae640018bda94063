/** Test helpers: how an image looks in a colour-managed viewer, and the tags it carries. */
import exifReader from 'exif-reader';
import sharp from 'sharp';

/**
 * Mean absolute difference (0–255) of two images as a colour-managed viewer shows them
 * (EXIF orientation applied, profiles converted to sRGB), both shrunk to 32×32; `alpha` compares
 * the alpha channels instead.
 */
export async function viewerDistance(a: string, b: string, alpha = false): Promise<number> {
  const shown = (p: string) => {
    const s = sharp(p).autoOrient().resize(32, 32, { fit: 'fill' });
    return (alpha ? s.extractChannel('alpha') : s.removeAlpha().toColourspace('srgb')).raw().toBuffer();
  };
  const [x, y] = await Promise.all([shown(a), shown(b)]);
  let sum = 0;
  for (let i = 0; i < x.length; i++) sum += Math.abs(x[i]! - y[i]!);
  return sum / x.length;
}

/** sharp's metadata and the parsed EXIF of a file. */
export async function tagsOf(path: string) {
  const meta = await sharp(path).metadata();
  return { meta, exif: meta.exif ? exifReader(meta.exif) : undefined };
}
