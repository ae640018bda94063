/**
 * The default photo model on the held-out set (fixtures/images/heldout/SOURCES.txt: 16 crops of
 * photos from Debian packages no training run used), the small images made in several ways
 * (bench/lib/degrade.js), against a true Lanczos-3 (bench/lib/lanczos3.js).
 */
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { expect, it } from 'vitest';
import { degrade } from '../../bench/lib/degrade.js';
import { lanczos3 } from '../../bench/lib/lanczos3.js';
import { upscaleLocal } from '../../src/local/index.js';
import { psnrY, rawPixels, THREADS } from './helpers.js';
import { mean } from './quality-score.js';

const HELDOUT_DIR = fileURLToPath(new URL('../../fixtures/images/heldout/', import.meta.url));
const HELDOUT = readdirSync(HELDOUT_DIR)
  .filter((f) => f.endsWith('.png'))
  .map((f) => HELDOUT_DIR + f);

/**
 * The photo model's gain in PSNR-Y over a true Lanczos-3 on each held-out photo
 * (fixtures/images/heldout/: 16 crops of photos from Debian packages no training run used), the
 * small image made by `kind` (bench/lib/degrade.js) and given to both.
 */
async function heldoutGains(kind: string, scale: number): Promise<number[]> {
  const gains: number[] = [];
  for (const file of HELDOUT) {
    const { data, width, height } = await rawPixels(sharp(file).removeAlpha().toColourspace('srgb'));
    const small: Uint8Array = await degrade(kind, data, width, height, scale);
    const [w, h] = [width / scale, height / scale];
    const base = psnrY(data, lanczos3(small, w, h, 3, width, height), width, height, 4);
    const input = await sharp(small, { raw: { width: w, height: h, channels: 3 } })
      .png()
      .toBuffer();
    const res = await upscaleLocal({ input, scale, model: 'photo', threads: THREADS });
    gains.push(psnrY(data, (await rawPixels(res.image)).data, width, height, 4) - base);
  }
  console.log(
    `held-out x${scale} ${kind}: ${gains.map((g) => g.toFixed(2)).join(' ')}; mean ${mean(gains).toFixed(2)} dB`,
  );
  return gains;
}

// The held-out set (fixtures/images/heldout/SOURCES.txt). Issue 25's targets for the default
// model there are +1.5 dB from sharp's reduction, +0.3 dB on JPEG q75 inputs with none below
// −0.1 dB, and no photo losing on a clean reduction. The first two are checked as they stand (on
// these crops: +1.61 dB from sharp's reduction, the full photos +1.56); the last is not met (an
// aliased reduction still loses on some), and is not checked. docs/local-engine.md gives every
// figure, bench/local-quality.js --heldout the full photos.
it("held-out photos, 4x from sharp's reduction: every one better than a true Lanczos-3, +1.5 dB on average", async () => {
  expect(HELDOUT.length).toBe(16);
  const gains = await heldoutGains('sharp', 4);
  expect(mean(gains)).toBeGreaterThanOrEqual(1.5);
  for (const g of gains) expect(g).toBeGreaterThan(0);
}, 300_000);

it('held-out photos, 4x from JPEG q75 inputs (the JPEG net): +0.3 dB on average, none below -0.1 dB', async () => {
  const gains = await heldoutGains('jpeg75', 4);
  expect(mean(gains)).toBeGreaterThanOrEqual(0.3);
  for (const g of gains) expect(g).toBeGreaterThanOrEqual(-0.1);
}, 300_000);

// The x2 net retrained in session 33 gives +1.81 dB here (the one before it +1.57).
it("held-out photos, 2x from sharp's reduction: +1.7 dB on average", async () => {
  expect(mean(await heldoutGains('sharp', 2))).toBeGreaterThanOrEqual(1.7);
}, 300_000);
