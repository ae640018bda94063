/**
 * What the finishing step needs to know about an input: its format, orientation, alpha, and
 * the metadata (EXIF, ICC, XMP, IPTC) to carry to the output. Read from the input file, or from
 * a copy of a URL input fetched for this purpose.
 */
import { formatOfExtension, type ImageFormat } from '../formats.js';
import { isOpenFileLimit } from '../fs/fs-errors.js';
import { inputUnreadable, readingFiles } from './read-input.js';

export interface SourceImage {
  /** A readable file with the input's bytes. */
  readonly path: string;
  readonly width: number;
  readonly height: number;
  readonly format: ImageFormat | undefined;
  /** EXIF orientation, 1 when absent. */
  readonly orientation: number;
  readonly hasAlpha: boolean;
  /** The ICC profile when it describes RGB pixels (the only kind an upscaler's RGB output can take). */
  readonly rgbIcc: Buffer | undefined;
  /** True when the input carries EXIF, XMP, IPTC or an ICC profile worth carrying. */
  readonly hasMetadata: boolean;
}

function formatOf(format: string | undefined, compression: string | undefined): ImageFormat | undefined {
  if (format === 'heif') return compression === 'av1' ? 'avif' : undefined;
  return format === undefined ? undefined : formatOfExtension(format);
}

/**
 * Reads an input's header; undefined when it does not decode. The open-file limit met (for longer
 * than a moment) is thrown as INPUT_UNREADABLE: an output finished without the input's facts would
 * lose its metadata, orientation and profile without a word.
 */
export async function readSource(path: string): Promise<SourceImage | undefined> {
  const sharp = (await import('sharp')).default;
  try {
    const meta = await readingFiles([path], () => sharp(path).metadata());
    if (!meta.width || !meta.height) return undefined;
    const rgbIcc = meta.icc && meta.icc.subarray(16, 20).toString('latin1') === 'RGB ' ? meta.icc : undefined;
    return {
      path,
      width: meta.width,
      height: meta.height,
      format: formatOf(meta.format, meta.compression),
      orientation: meta.orientation ?? 1,
      hasAlpha: meta.hasAlpha ?? false,
      rgbIcc,
      hasMetadata: Boolean(meta.exif || meta.xmp || meta.iptc || rgbIcc),
    };
  } catch (error) {
    if (isOpenFileLimit(error)) throw inputUnreadable(path, error);
    return undefined;
  }
}
