/** `--fit`: a copy of an input, downscaled to the size the provider's output limit allows. */
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UpscaleError } from '../errors.js';
import { isOpenFileLimit } from '../fs/fs-errors.js';
import type { FileImage, Size } from '../providers/types.js';
import { inputUnreadable, readingFiles } from './read-input.js';

export interface FittedCopy {
  readonly image: FileImage;
  remove(): Promise<void>;
}

/** JPEG stays JPEG (at high quality), anything else becomes PNG; metadata and orientation are kept. */
export async function downscaledCopy(path: string, size: Size, format: string): Promise<FittedCopy> {
  const sharp = (await import('sharp')).default;
  const dir = await mkdtemp(join(tmpdir(), 'upscale-fit-'));
  const jpeg = format === 'jpeg';
  const copy = join(dir, jpeg ? 'fitted.jpg' : 'fitted.png');
  try {
    await readingFiles([path], () => {
      const resized = sharp(path).resize(size.width, size.height, { fit: 'fill' }).keepMetadata();
      return (jpeg ? resized.jpeg({ quality: 95 }) : resized.png()).toFile(copy);
    });
    const { size: bytes } = await stat(copy);
    return {
      image: { kind: 'file', path: copy, size: bytes },
      remove: () => rm(dir, { recursive: true, force: true }),
    };
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    if (isOpenFileLimit(error)) throw inputUnreadable(path, error);
    throw new UpscaleError('OUTPUT_UNWRITABLE', `cannot make a downscaled copy of ${path} for --fit`, {
      hint: 'check the free space of the temporary folder',
      cause: error,
    });
  }
}
