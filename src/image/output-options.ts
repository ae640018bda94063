/** What the user asked the output file to be: format, quality, metadata, background, size. */
import type { ImageFormat } from '../formats.js';

export interface OutputOptions {
  /**
   * The output's format. Unset: the format of the bytes the provider returns (or the format a
   * named output file's extension says); `keep`: the input's format.
   */
  readonly format?: ImageFormat | 'keep' | undefined;
  /** 1–100, for JPEG, WebP and AVIF. Given, the output is always encoded at it. */
  readonly quality?: number | undefined;
  /** Drop the input's EXIF, XMP, IPTC and ICC profile instead of carrying them to the output. */
  readonly stripMetadata?: boolean | undefined;
  /** Colour under transparent pixels when the output format has no alpha (CSS colour; default white). */
  readonly background?: string | undefined;
  /** Downscale an input just enough that the requested scale fits the provider's output limit. */
  readonly fit?: boolean | undefined;
  /** Target size in displayed pixels; the smallest scale that reaches it is used, then resized down. */
  readonly width?: number | undefined;
  readonly height?: number | undefined;
}

export const DEFAULT_BACKGROUND = '#ffffff';

/** Quality used when sharp encodes and no `quality` was asked (AVIF's scale runs lower). */
export const DEFAULT_QUALITY: Readonly<Record<ImageFormat, number>> = {
  jpeg: 92,
  webp: 90,
  avif: 60,
  png: 100,
  tiff: 100,
  gif: 100,
};
