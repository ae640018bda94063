/**
 * Checks a local input before any byte is sent: it exists, is a readable file, decodes
 * as an image, and the requested output fits the provider's limits. Header reads come first,
 * so a decompression bomb (huge declared size, small file) is refused before its pixels are decoded.
 */
import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import type { Metadata } from 'sharp';
import { UpscaleError } from '../errors.js';
import { isOpenFileLimit } from '../fs/fs-errors.js';
import type { FileImage, ParamValues, Provider, Size } from '../providers/types.js';
import { checkOutputLimits } from './output-limits.js';
import { inputUnreadable, readingFiles } from './read-input.js';
import type { Sizing } from './sizing.js';

/** sharp's own default pixel limit: beyond it nothing is decoded, whatever the provider. */
export const MAX_INPUT_PIXELS = 268_402_689;

export interface PrecheckInfo extends Size {
  readonly format: string;
  readonly bytes: number;
  readonly hasAlpha: boolean;
}

export interface PrecheckOptions {
  /** Decode every pixel (catches truncated files). Off for --dry-run scans, which read headers only. */
  readonly decode: boolean;
  /**
   * Replaces the output-limit check (for --fit, --width, --height): decides what is sent for an
   * input of this stored size and EXIF orientation, or throws.
   */
  readonly plan?: (input: Size, orientation: number) => Sizing;
}

async function loadSharp() {
  return (await import('sharp')).default;
}

/** Stats and opens the file; throws INPUT_NOT_FOUND / INPUT_UNREADABLE. */
async function checkFile(path: string): Promise<number> {
  let size: number;
  try {
    const info = await stat(path);
    if (info.isDirectory()) {
      throw new UpscaleError('INPUT_NOT_FOUND', `${path} is a folder, not an image file`, {
        hint: 'pass the image files inside it, or the folder with --recursive',
      });
    }
    if (!info.isFile()) throw new UpscaleError('INPUT_UNREADABLE', `${path} is not a regular file`);
    size = info.size;
  } catch (error) {
    if (error instanceof UpscaleError) throw error;
    if (isOpenFileLimit(error)) throw inputUnreadable(path, error);
    throw new UpscaleError('INPUT_NOT_FOUND', `${path} does not exist`, {
      hint: 'check the path (quote names with spaces)',
      cause: error,
    });
  }
  try {
    await access(path, constants.R_OK);
  } catch (error) {
    if (isOpenFileLimit(error)) throw inputUnreadable(path, error);
    throw new UpscaleError('INPUT_UNREADABLE', `${path} cannot be read (permission denied)`, {
      hint: 'check the file permissions',
      cause: error,
    });
  }
  if (size === 0) {
    throw new UpscaleError('NOT_AN_IMAGE', `${path} is empty (0 bytes)`, {
      hint: 'pass a JPEG, PNG or WebP image',
    });
  }
  return size;
}

/**
 * A failed read of the file: the open-file limit met (retried for a moment: see read-input.ts)
 * is said as such, never as a file that is no image.
 */
function notAnImage(path: string, cause: unknown): UpscaleError {
  if (isOpenFileLimit(cause)) return inputUnreadable(path, cause);
  return new UpscaleError('NOT_AN_IMAGE', `${path} is not an image that can be read`, {
    hint: 'pass a JPEG, PNG or WebP image (the file may be corrupt or not an image at all)',
    cause,
  });
}

/** Runs every local check; returns what the submit needs and what the run reports. */
export async function precheckFile(
  path: string,
  provider: Provider,
  params: ParamValues,
  options: PrecheckOptions,
): Promise<{ image: FileImage; info: PrecheckInfo; sizing?: Sizing | undefined }> {
  const bytes = await checkFile(path);
  const sharp = await loadSharp();
  let meta: Metadata;
  try {
    // Header only: the pixel limit is checked below, by us, with a clearer message than sharp's.
    meta = await readingFiles([path], () => sharp(path, { limitInputPixels: false }).metadata());
  } catch (error) {
    throw notAnImage(path, error);
  }
  const { width, height } = meta;
  if (!width || !height) throw notAnImage(path, new Error('no dimensions in header'));
  const input = { width, height };
  if (width * height > MAX_INPUT_PIXELS) {
    throw new UpscaleError(
      'IMAGE_TOO_LARGE',
      `${path} declares ${width}×${height} pixels, more than any upscaler takes`,
      {
        hint: 'the file may be corrupt or a decompression bomb; its pixels were not decoded',
      },
    );
  }
  const sizing = options.plan?.(input, meta.orientation ?? 1);
  if (!options.plan) checkOutputLimits(path, input, provider, params);
  if (options.decode) {
    try {
      // Decoding to a thumbnail reads every byte (JPEG shrinks on load, so this stays fast)
      // and fails on truncated data instead of sending a broken file. The thumbnail is thrown
      // away: the nearest kernel keeps the fewest lines in memory (a 20 MB PNG: 5 MB, not 12).
      await readingFiles([path], () =>
        sharp(path, { failOn: 'truncated' })
          .resize(64, 64, { fit: 'inside', kernel: 'nearest' })
          .raw()
          .toBuffer(),
      );
    } catch (error) {
      throw notAnImage(path, error);
    }
  }
  const info: PrecheckInfo = {
    width,
    height,
    format: meta.format ?? 'unknown',
    bytes,
    hasAlpha: meta.hasAlpha ?? false,
  };
  return { image: { kind: 'file', path, size: bytes }, info, sizing };
}
