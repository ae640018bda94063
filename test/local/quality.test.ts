/**
 * Quality against an honest baseline, on real photos: fixtures/images/local-photo.png and the
 * seven crops in fixtures/images/photos/ (256x256, CC0 or public domain, none used in training).
 * Each is downsampled 4x with bicubic (sharp's cubic reduction) and brought back with the local
 * models and with a true, correctly aligned Lanczos-3 written out in bench/lib/lanczos3.js — not
 * sharp's resize, which enlarges with bicubic whatever kernel is named. PSNR-Y (4 px border left
 * out) and SSIM-Y are printed per photo and on average.
 *
 * What it shows (see docs/local-engine.md): the default `photo` model beats the true Lanczos-3 by
 * more than 0.5 dB on average and on most photos; the ESRGAN slim and medium models do not beat it.
 * The ESRGAN models are checked in quality-esrgan.test.ts, the held-out set (fixtures/images/heldout/,
 * 16 crops of photos from Debian packages no training run used) in quality-heldout.test.ts.
 */
import sharp from 'sharp';
import { expect, it } from 'vitest';
import { lanczos3 } from '../../bench/lib/lanczos3.js';
import { DEFAULT_LOCAL_MODEL } from '../../src/local/index.js';
import { PHOTO, rawPixels } from './helpers.js';
import { LANCZOS, mean, PHOTOS, SHARP, scorePhotos } from './quality-score.js';

it('4x on eight real photos against a true Lanczos-3: the default model is 0.5 dB better on average', async () => {
  expect(DEFAULT_LOCAL_MODEL).toBe('photo');
  expect(PHOTOS.length).toBe(8);
  const { psnr, ssimY, gain } = await scorePhotos(4, ['photo']);
  // Done-when of issue 15: the default model beats a true Lanczos-3 by >= 0.5 dB on average...
  expect(mean(gain('photo'))).toBeGreaterThanOrEqual(0.5);
  // ...is not worse on any photo, and is also better in SSIM-Y.
  for (const g of gain('photo')) expect(g).toBeGreaterThan(0);
  expect(mean(ssimY.photo!)).toBeGreaterThan(mean(ssimY[LANCZOS]!));
  // Why the baseline is written out: a true Lanczos-3 is the harder one.
  expect(mean(psnr[LANCZOS]!)).toBeGreaterThan(mean(psnr[SHARP]!) + 0.2);
}, 120_000);

it("2x on the same photos: the photo model's x2 net beats a true Lanczos-3 on every one", async () => {
  const { gain } = await scorePhotos(2, ['photo']);
  expect(mean(gain('photo'))).toBeGreaterThanOrEqual(0.5);
  for (const g of gain('photo')) expect(g).toBeGreaterThan(0);
}, 120_000);

it("sharp's enlargement ignores the kernel it is given (so the test writes Lanczos-3 out)", async () => {
  const small = await sharp(PHOTO).removeAlpha().resize(64, 64, { kernel: 'cubic' }).png().toBuffer();
  const asLanczos = await rawPixels(sharp(small).resize(256, 256, { kernel: 'lanczos3' }));
  const asCubic = await rawPixels(sharp(small).resize(256, 256, { kernel: 'cubic' }));
  expect(Buffer.compare(asLanczos.data, asCubic.data)).toBe(0);
});

it('the written-out Lanczos-3 keeps flat colour flat and is the identity at scale 1', () => {
  const flat = new Uint8Array(7 * 5 * 3).fill(200);
  expect([...new Set(lanczos3(flat, 7, 5, 3, 28, 20))]).toEqual([200]);
  const ramp = Uint8Array.from({ length: 9 * 4 * 3 }, (_, i) => (i * 7) % 256);
  expect([...lanczos3(ramp, 9, 4, 3, 9, 4)]).toEqual([...ramp]);
});
