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
 * Then the same on a larger held-out set (fixtures/images/heldout/, 16 crops of photos from Debian
 * packages no training run used), with small images made in other ways too (bench/lib/degrade.js).
 */
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { expect, it } from 'vitest';
import { degrade } from '../../bench/lib/degrade.js';
import { lanczos3 } from '../../bench/lib/lanczos3.js';
import { DEFAULT_LOCAL_MODEL, type LocalModel, upscaleLocal } from '../../src/local/index.js';
import { PHOTO, psnrY, rawPixels, ssim, THREADS } from './helpers.js';

const PHOTOS_DIR = fileURLToPath(new URL('../../fixtures/images/photos/', import.meta.url));
const PHOTOS = [
  PHOTO,
  ...readdirSync(PHOTOS_DIR)
    .filter((f) => f.endsWith('.png'))
    .map((f) => PHOTOS_DIR + f),
];
const HELDOUT_DIR = fileURLToPath(new URL('../../fixtures/images/heldout/', import.meta.url));
const HELDOUT = readdirSync(HELDOUT_DIR)
  .filter((f) => f.endsWith('.png'))
  .map((f) => HELDOUT_DIR + f);
const LANCZOS = 'lanczos3 (true)';
const SHARP = "sharp 'lanczos3' (bicubic)";

/** PSNR-Y and SSIM-Y per method and photo, each photo shrunk by `scale` and brought back. */
async function scorePhotos(scale: number, models: LocalModel[]) {
  const psnr: Record<string, number[]> = {};
  const ssimY: Record<string, number[]> = {};
  const lines: string[] = [];
  for (const file of PHOTOS) {
    const original = await rawPixels(sharp(file).removeAlpha().toColourspace('srgb'));
    const { width, height } = original;
    const smallPng = await sharp(original.data, { raw: { width, height, channels: 3 } })
      .resize(width / scale, height / scale, { kernel: 'cubic' })
      .png()
      .toBuffer();
    const small = await rawPixels(smallPng);
    const score = (name: string, data: Uint8Array) => {
      psnr[name] = [...(psnr[name] ?? []), psnrY(original.data, data, width, height, 4)];
      ssimY[name] = [...(ssimY[name] ?? []), ssim(original.data, data, width, height)];
    };
    score(LANCZOS, lanczos3(small.data, small.width, small.height, 3, width, height));
    score(SHARP, (await rawPixels(sharp(smallPng).resize(width, height, { kernel: 'lanczos3' }))).data);
    for (const model of models) {
      const res = await upscaleLocal({ input: smallPng, scale, model, threads: THREADS });
      const up = await rawPixels(res.image);
      expect([up.width, up.height, up.channels]).toEqual([width, height, 3]);
      score(model, up.data);
    }
    const name = file.split('/').at(-1);
    lines.push(
      `${name}: ${Object.entries(psnr)
        .map(([k, v]) => `${k} ${v.at(-1)!.toFixed(2)}`)
        .join(', ')}`,
    );
  }
  lines.push(
    ...Object.keys(psnr).map(
      (k) => `mean ${k}: PSNR-Y ${mean(psnr[k]!).toFixed(2)} dB, SSIM-Y ${mean(ssimY[k]!).toFixed(4)}`,
    ),
  );
  console.log(`${scale}x\n${lines.join('\n')}`);
  const gain = (model: string) => psnr[model]!.map((p, i) => p - psnr[LANCZOS]![i]!);
  return { psnr, ssimY, gain };
}

const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;

it('4x on eight real photos against a true Lanczos-3: the default model is 0.5 dB better on average', async () => {
  expect(DEFAULT_LOCAL_MODEL).toBe('photo');
  expect(PHOTOS.length).toBe(8);
  const { psnr, ssimY, gain } = await scorePhotos(4, ['photo', 'slim', 'medium']);
  // Done-when of issue 15: the default model beats a true Lanczos-3 by >= 0.5 dB on average...
  expect(mean(gain('photo'))).toBeGreaterThanOrEqual(0.5);
  // ...is not worse on any photo, and is also better in SSIM-Y.
  for (const g of gain('photo')) expect(g).toBeGreaterThan(0);
  expect(mean(ssimY.photo!)).toBeGreaterThan(mean(ssimY[LANCZOS]!));
  // The ESRGAN models stay where they were measured (a broken port or conversion falls far below).
  for (const model of ['slim', 'medium']) expect(mean(gain(model))).toBeGreaterThan(-0.5);
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
// −0.1 dB, and no photo losing on a clean reduction; these checks hold what it does reach
// (docs/local-engine.md gives every figure, bench/local-quality.js --heldout the full photos).
it("held-out photos, 4x from sharp's reduction: every one better than a true Lanczos-3, +1.2 dB on average", async () => {
  expect(HELDOUT.length).toBe(16);
  const gains = await heldoutGains('sharp', 4);
  expect(mean(gains)).toBeGreaterThanOrEqual(1.2);
  for (const g of gains) expect(g).toBeGreaterThan(0);
}, 300_000);

it('held-out photos, 4x from JPEG q75 inputs: not worse than a true Lanczos-3 on average', async () => {
  expect(mean(await heldoutGains('jpeg75', 4))).toBeGreaterThan(0);
}, 300_000);

it("held-out photos, 2x from sharp's reduction: +1.5 dB on average", async () => {
  expect(mean(await heldoutGains('sharp', 2))).toBeGreaterThanOrEqual(1.5);
}, 300_000);
