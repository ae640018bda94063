/**
 * Scoring shared by the quality tests (quality.test.ts, quality-esrgan.test.ts,
 * quality-heldout.test.ts): the photos, a true Lanczos-3 baseline and PSNR-Y / SSIM-Y per method.
 * Split in three files so that the unit project's workers run them side by side.
 */
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { expect } from 'vitest';
import { lanczos3 } from '../../bench/lib/lanczos3.js';
import { type LocalModel, upscaleLocal } from '../../src/local/index.js';
import { PHOTO, psnrY, rawPixels, ssim, THREADS } from './helpers.js';

const PHOTOS_DIR = fileURLToPath(new URL('../../fixtures/images/photos/', import.meta.url));
export const PHOTOS = [
  PHOTO,
  ...readdirSync(PHOTOS_DIR)
    .filter((f) => f.endsWith('.png'))
    .map((f) => PHOTOS_DIR + f),
];
export const LANCZOS = 'lanczos3 (true)';
export const SHARP = "sharp 'lanczos3' (bicubic)";

export const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;

/** PSNR-Y and SSIM-Y per method and photo, each photo shrunk by `scale` and brought back. */
export async function scorePhotos(scale: number, models: LocalModel[]) {
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
