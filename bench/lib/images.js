// Test images for the benchmarks, made on the fly (nothing big is committed).
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';

/**
 * An image of random pixels (incompressible: its file is about as big as its pixels).
 * @param {number} width
 * @param {number} height
 * @param {{ channels?: 3 | 4, format?: 'png' | 'jpeg' }} [options]
 */
export function noiseImage(width, height, { channels = 3, format = 'png' } = {}) {
  const image = sharp(randomBytes(width * height * channels), { raw: { width, height, channels } });
  return format === 'jpeg'
    ? image.jpeg({ quality: 90 }).toBuffer()
    : image.png({ compressionLevel: 1 }).toBuffer();
}

/**
 * A photo-like image: a gradient with some noise on top, `seed` varying the colours.
 * @param {number} width
 * @param {number} height
 * @param {number} seed
 * @param {'png' | 'jpeg'} format
 */
export async function photoImage(width, height, seed, format) {
  const base = sharp({
    create: {
      width,
      height,
      channels: 3,
      background: { r: (seed * 53) % 256, g: (seed * 97) % 256, b: (seed * 151) % 256 },
    },
  });
  const grain = await sharp(randomBytes(width * height), { raw: { width, height, channels: 1 } })
    .png()
    .toBuffer();
  const composed = base.composite([{ input: grain, blend: 'soft-light' }]);
  return format === 'jpeg' ? composed.jpeg({ quality: 85 }).toBuffer() : composed.png().toBuffer();
}

/**
 * Writes `count` distinct photo-like images into `dir` as img-0000.<ext>, …; returns their paths.
 * @param {string} dir
 * @param {number} count
 * @param {{ width: number, height: number, format: 'png' | 'jpeg' }} shape
 */
export async function writeImages(dir, count, { width, height, format }) {
  await mkdir(dir, { recursive: true });
  const ext = format === 'jpeg' ? 'jpg' : 'png';
  const paths = [];
  for (let i = 0; i < count; i++) {
    const path = join(dir, `img-${String(i).padStart(4, '0')}.${ext}`);
    await writeFile(path, await photoImage(width, height, i, format));
    paths.push(path);
  }
  return paths;
}
