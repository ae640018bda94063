/**
 * Telling JPEG-compressed inputs from clean ones by their pixels (src/local/jpeg-grid.ts), and
 * the photo model running its JPEG net on the first.
 */
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { degrade } from '../../bench/lib/degrade.js';
import { upscaleLocal } from '../../src/local/index.js';
import {
  gridOffset,
  JPEG_GRID_THRESHOLD,
  jpegGridScore,
  looksJpegCompressed,
} from '../../src/local/jpeg-grid.js';
import { rawPixels, THREADS } from './helpers.js';

const PHOTOS_DIR = fileURLToPath(new URL('../../fixtures/images/photos/', import.meta.url));
const PHOTOS = readdirSync(PHOTOS_DIR)
  .filter((f) => f.endsWith('.png'))
  .map((f) => PHOTOS_DIR + f);

/** A photo's 256x256 centre as packed RGB. */
async function photo(file: string) {
  return rawPixels(sharp(file).removeAlpha().toColourspace('srgb').resize(256, 256, { fit: 'cover' }));
}

async function jpegOf(rgb: Uint8Array, width: number, height: number, quality: number) {
  const bytes = await sharp(rgb, { raw: { width, height, channels: 3 } })
    .jpeg({ quality })
    .toBuffer();
  return { bytes, rgb: (await rawPixels(sharp(bytes))).data };
}

describe('jpegGridScore', () => {
  it('clean reductions score near 1, the same pixels as a JPEG at q50-85 below the threshold', async () => {
    expect(PHOTOS.length).toBeGreaterThanOrEqual(7);
    for (const file of PHOTOS) {
      const { data } = await photo(file);
      for (const kind of ['sharp', 'matlab', 'box', 'noise6']) {
        const small: Uint8Array = await degrade(kind, data, 256, 256, 4);
        // 64×64: under the side from which the grid is searched, so scored at (0, 0) only.
        expect(jpegGridScore(small, 64, 64, 3), `${file} ${kind}`).toBeGreaterThan(JPEG_GRID_THRESHOLD);
        expect(looksJpegCompressed(small, 64, 64, 3)).toBe(false);
      }
      const small: Uint8Array = await degrade('sharp', data, 256, 256, 4);
      for (const q of [50, 75, 85]) {
        const { rgb } = await jpegOf(small, 64, 64, q);
        expect(jpegGridScore(rgb, 64, 64, 3), `${file} q${q}`).toBeLessThan(JPEG_GRID_THRESHOLD);
      }
    }
  }, 60_000);

  it('finds the grid of a JPEG cropped off it, and still tells it', async () => {
    for (const file of PHOTOS) {
      const { data } = await photo(file);
      const { bytes } = await jpegOf(data, 256, 256, 75);
      expect(gridOffset((await rawPixels(sharp(bytes))).data, 256, 256, 3), file).toEqual([0, 0]);
      for (const [left, top] of [
        [3, 5],
        [4, 0],
        [1, 7],
      ] as const) {
        const cut = (
          await rawPixels(sharp(bytes).extract({ left, top, width: 256 - left, height: 256 - top }))
        ).data;
        const w = 256 - left;
        const h = 256 - top;
        // The grid's first column (row) is 8 - left (8 - top) into the crop.
        expect(gridOffset(cut, w, h, 3), `${file} cut ${left},${top}`).toEqual([
          (8 - left) % 8,
          (8 - top) % 8,
        ]);
        expect(looksJpegCompressed(cut, w, h, 3), `${file} cut ${left},${top}`).toBe(true);
      }
      // The clean photo cropped alike stays clean.
      const clean = (
        await rawPixels(
          sharp(data, { raw: { width: 256, height: 256, channels: 3 } }).extract({
            left: 3,
            top: 5,
            width: 253,
            height: 251,
          }),
        )
      ).data;
      expect(looksJpegCompressed(clean, 253, 251, 3), file).toBe(false);
    }
  }, 60_000);

  it('reads RGBA as RGB, and calls flat or tiny images clean', () => {
    const flat = new Uint8Array(64 * 64 * 3).fill(128);
    expect(jpegGridScore(flat, 64, 64, 3)).toBeNaN();
    expect(looksJpegCompressed(flat, 64, 64, 3)).toBe(false);
    expect(looksJpegCompressed(new Uint8Array(12 * 12 * 3), 12, 12, 3)).toBe(false);
    // Blocky RGBA: each 8x8 block one grey, alpha varying inside blocks (alpha is not colour).
    const rgba = new Uint8Array(64 * 64 * 4);
    for (let y = 0; y < 64; y++)
      for (let x = 0; x < 64; x++) {
        const i = (y * 64 + x) * 4;
        const v = ((x >> 3) * 37 + (y >> 3) * 91) % 256;
        rgba.set([v, v, v, (x * 97 + y * 31) % 256], i);
      }
    expect(looksJpegCompressed(rgba, 64, 64, 4)).toBe(true);
  });

  it('samples large images instead of reading every block, with the same verdict', async () => {
    const { data } = await rawPixels(sharp(PHOTOS[0]!).removeAlpha().resize(2048, 2048));
    const { rgb } = await jpegOf(data, 2048, 2048, 75);
    expect(jpegGridScore(data, 2048, 2048, 3)).toBeGreaterThan(JPEG_GRID_THRESHOLD);
    expect(jpegGridScore(rgb, 2048, 2048, 3)).toBeLessThan(JPEG_GRID_THRESHOLD);
  });
});

describe('the photo model on a JPEG input', () => {
  it('runs its JPEG net on a q75 JPEG (or its pixels saved as PNG), the clean net on a clean PNG', async () => {
    const { data } = await photo(PHOTOS[0]!);
    const small: Uint8Array = await degrade('sharp', data, 256, 256, 4);
    const { bytes } = await jpegOf(small, 64, 64, 75);
    const asPng = await sharp(bytes).png().toBuffer();
    const clean = await sharp(small, { raw: { width: 64, height: 64, channels: 3 } })
      .png()
      .toBuffer();
    const run = (input: Buffer, jpegAware?: boolean) =>
      upscaleLocal({
        input,
        scale: 4,
        model: 'photo',
        threads: THREADS,
        ...(jpegAware === false ? { jpegAware } : {}),
      });
    const fromJpeg = await run(bytes);
    const fromPng = await run(asPng);
    const forcedClean = await run(asPng, false);
    expect([fromJpeg.jpegNet, fromPng.jpegNet, forcedClean.jpegNet]).toEqual([true, true, false]);
    expect((await run(clean)).jpegNet).toBe(false);
    const a = (await rawPixels(fromPng.image)).data;
    const b = (await rawPixels(forcedClean.image)).data;
    expect(Buffer.compare(Buffer.from(a), Buffer.from(b))).not.toBe(0);
    // 8x: the JPEG net for the x4 pass only; the x2 pass reads its output.
    const eight = await upscaleLocal({ input: bytes, scale: 8, model: 'photo', threads: THREADS });
    expect([eight.jpegNet, eight.passes, eight.width]).toEqual([true, 2, 512]);
  }, 60_000);
});
