/**
 * Telling inputs reduced without antialiasing by their spectrum (src/local/alias-score.ts), the
 * light blur they get, and the photo model running it first.
 */
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { degrade } from '../../bench/lib/degrade.js';
import {
  ALIAS_SCORE_FROM,
  ALIAS_SOFTEN_MAX,
  aliasScore,
  aliasSoftening,
  softenNyquist,
} from '../../src/local/alias-score.js';
import { upscaleLocal } from '../../src/local/index.js';
import { PHOTO, rawPixels, THREADS } from './helpers.js';

const PHOTOS_DIR = fileURLToPath(new URL('../../fixtures/images/photos/', import.meta.url));
const PHOTOS = [
  PHOTO,
  ...readdirSync(PHOTOS_DIR)
    .filter((f) => f.endsWith('.png'))
    .map((f) => PHOTOS_DIR + f),
];

/** A fixture photo (256²) reduced ×4 in one of bench/lib/degrade.js's ways: 64² packed RGB. */
async function small(file: string, kind: string): Promise<Uint8Array> {
  const { data } = await rawPixels(sharp(file).removeAlpha().toColourspace('srgb').resize(256, 256));
  return degrade(kind, data, 256, 256, 4);
}

const png = (rgb: Uint8Array, size = 64) =>
  sharp(rgb, { raw: { width: size, height: size, channels: 3 } })
    .png()
    .toBuffer();

describe('aliasScore', () => {
  it('scores the aliased reduction of each photo well above its antialiased ones', async () => {
    expect(PHOTOS.length).toBeGreaterThanOrEqual(8);
    let sharpSoftened = 0;
    let aliasedSoftened = 0;
    for (const file of PHOTOS) {
      const scores = Object.fromEntries(
        await Promise.all(
          ['sharp', 'matlab', 'aliased'].map(async (k) => [k, aliasScore(await small(file, k), 64, 64, 3)]),
        ),
      ) as Record<string, number>;
      // Per photo the gap is 0.96-1.52; across photos the scores overlap (content moves them).
      expect(scores.aliased! - scores.sharp!, file).toBeGreaterThan(0.8);
      expect(scores.aliased! - scores.matlab!, file).toBeGreaterThan(0.6);
      if (aliasSoftening(scores.sharp!) > 0) sharpSoftened++;
      if (aliasSoftening(scores.aliased!) > 0) aliasedSoftened++;
    }
    // Calibrated elsewhere (alias-score.ts); here: sharp's reduction left alone but for the
    // rocket (0.28), the aliased one softened but for the brick wall and the gravel.
    expect(sharpSoftened).toBeLessThanOrEqual(1);
    expect(aliasedSoftened).toBeGreaterThanOrEqual(6);
  }, 60_000);

  it('has no verdict on flat or small images, and reads RGBA as RGB', () => {
    expect(aliasScore(new Uint8Array(64 * 64 * 3).fill(90), 64, 64, 3)).toBeNaN();
    expect(aliasScore(new Uint8Array(63 * 200 * 3).fill(90), 63, 200, 3)).toBeNaN();
    expect(aliasSoftening(Number.NaN)).toBe(0);
    const rgb = new Uint8Array(96 * 80 * 3);
    for (let i = 0; i < rgb.length; i++) rgb[i] = (i * 2654435761) % 251;
    const rgba = new Uint8Array(96 * 80 * 4);
    for (let p = 0; p < 96 * 80; p++)
      rgba.set([rgb[p * 3]!, rgb[p * 3 + 1]!, rgb[p * 3 + 2]!, p % 256], p * 4);
    expect(aliasScore(rgba, 96, 80, 4)).toBeCloseTo(aliasScore(rgb, 96, 80, 3), 10);
  });

  it('grades the softening between the two scores', () => {
    expect(aliasSoftening(ALIAS_SCORE_FROM - 0.5)).toBe(0);
    expect(aliasSoftening(ALIAS_SCORE_FROM)).toBe(0);
    const mid = aliasSoftening(ALIAS_SCORE_FROM + 0.3);
    expect(mid).toBeGreaterThan(0);
    expect(mid).toBeLessThan(ALIAS_SOFTEN_MAX);
    expect(aliasSoftening(5)).toBe(ALIAS_SOFTEN_MAX);
  });
});

describe('softenNyquist', () => {
  it('keeps flat colour, takes a one-pixel checker down by (1 - 4a)², at 8 and 16 bits', () => {
    const w = 6;
    const h = 5;
    const flat = new Uint8Array(w * h * 3).fill(77);
    expect(softenNyquist(flat, w, h, 0.06)).toEqual(flat);
    const checker = new Uint16Array(w * h * 3);
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++)
        checker.fill((x + y) % 2 ? 40000 : 20000, (y * w + x) * 3, (y * w + x + 1) * 3);
    const out = softenNyquist(checker, w, h, 0.06);
    expect(out).toBeInstanceOf(Uint16Array);
    // An inner pixel: 30000 ± 10000 × (1 - 0.24)².
    expect(out[(2 * w + 2) * 3]).toBe(Math.round(30000 - 10000 * 0.76 ** 2));
    expect(out[(2 * w + 3) * 3 + 1]).toBe(Math.round(30000 + 10000 * 0.76 ** 2));
    expect(softenNyquist(checker, w, h, 0)).toEqual(checker);
  });
});

describe('the photo model on an aliased input', () => {
  it('softens an aliased reduction first, not a clean one, a JPEG, or with aliasAware false', async () => {
    const aliased = await small(`${PHOTOS_DIR}camera.png`, 'aliased');
    const run = async (input: Buffer, aliasAware = true) => {
      const res = await upscaleLocal({ input, scale: 4, threads: THREADS, aliasAware });
      return { res, pixels: (await rawPixels(res.image)).data };
    };
    const softened = await run(await png(aliased));
    expect(softened.res.softening).toBeGreaterThan(0);
    const plain = await run(await png(aliased), false);
    expect(plain.res.softening).toBe(0);
    expect(Buffer.compare(softened.pixels, plain.pixels)).not.toBe(0);

    const clean = await run(await png(await small(`${PHOTOS_DIR}coffee.png`, 'sharp')));
    expect(clean.res.softening).toBe(0);
    const jpeg = await sharp(await png(aliased))
      .jpeg({ quality: 60 })
      .toBuffer();
    const fromJpeg = await run(jpeg);
    expect(fromJpeg.res.jpegNet).toBe(true);
    expect(fromJpeg.res.softening).toBe(0);
  }, 60_000);
});
