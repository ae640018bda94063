/**
 * Turns a verified download into the file the user asked for: the downloaded bytes as they are,
 * or converted with sharp when the user named a different format.
 */
import { rm } from 'node:fs/promises';
import { UpscaleError } from '../errors.js';
import type { ImageFormat } from '../formats.js';
import { tempPathBeside } from './download.js';

export interface FinishedImage {
  readonly tempPath: string;
  readonly format: ImageFormat;
  readonly width: number;
  readonly height: number;
}

/** Reads the size of a finished file; undefined when it does not decode. */
export async function imageSize(path: string): Promise<{ width: number; height: number } | undefined> {
  const sharp = (await import('sharp')).default;
  try {
    const meta = await sharp(path).metadata();
    return meta.width && meta.height ? { width: meta.width, height: meta.height } : undefined;
  } catch {
    return undefined;
  }
}

/** Converts `tempPath` to `format` when it differs, keeping the result beside `finalPath`. */
export async function convertIfNeeded(
  tempPath: string,
  downloaded: ImageFormat,
  wanted: ImageFormat | undefined,
  finalPath: string,
): Promise<{ tempPath: string; format: ImageFormat }> {
  if (!wanted || wanted === downloaded) return { tempPath, format: downloaded };
  const sharp = (await import('sharp')).default;
  const converted = tempPathBeside(finalPath);
  try {
    await sharp(tempPath).keepMetadata().toFormat(wanted).toFile(converted);
  } catch (error) {
    await rm(converted, { force: true });
    throw new UpscaleError('OUTPUT_UNWRITABLE', `cannot convert the result to ${wanted} for ${finalPath}`, {
      hint: 'pick another output extension',
      cause: error,
    });
  } finally {
    await rm(tempPath, { force: true });
  }
  return { tempPath: converted, format: wanted };
}

/** Within rounding: providers may round odd sizes; orientation may swap the sides. */
export function sizeMatches(
  actual: { width: number; height: number },
  expected: { width: number; height: number },
): boolean {
  const near = (a: number, b: number) => Math.abs(a - b) <= Math.max(2, b * 0.01);
  return (
    (near(actual.width, expected.width) && near(actual.height, expected.height)) ||
    (near(actual.width, expected.height) && near(actual.height, expected.width))
  );
}
