/** The size of a finished image file (converting and checking it: finish-output.ts, output-writer.ts). */

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
