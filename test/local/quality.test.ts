/**
 * Quality: a real photo (fixtures/images/local-photo.png, 256x256, CC0) is
 * downsampled 4x with bicubic (the degradation these nets were trained on) and
 * brought back with the local models and with sharp's lanczos3. The models must
 * land closer to the original (PSNR); SSIM is reported too.
 */
import sharp from 'sharp';
import { expect, it } from 'vitest';
import { type LocalModel, upscaleLocal } from '../../src/local/index.js';
import { PHOTO, psnr, rawPixels, ssim, THREADS } from './helpers.js';

it('4x: slim and medium beat lanczos3 on PSNR against the original photo', async () => {
  const original = await rawPixels(sharp(PHOTO).removeAlpha());
  const { width, height } = original;
  const small = await sharp(PHOTO)
    .removeAlpha()
    .resize(width / 4, height / 4, { kernel: 'cubic' })
    .png()
    .toBuffer();

  const lanczos = await rawPixels(sharp(small).resize(width, height, { kernel: 'lanczos3' }));
  const scores: Record<string, { psnr: number; ssim: number }> = {
    lanczos3: {
      psnr: psnr(original.data, lanczos.data),
      ssim: ssim(original.data, lanczos.data, width, height),
    },
  };
  for (const model of ['slim', 'medium'] as LocalModel[]) {
    const res = await upscaleLocal({ input: small, scale: 4, model, threads: THREADS });
    const up = await rawPixels(res.image);
    expect([up.width, up.height, up.channels]).toEqual([width, height, 3]);
    scores[model] = { psnr: psnr(original.data, up.data), ssim: ssim(original.data, up.data, width, height) };
  }
  // Reported in the test output so regressions in either number are visible.
  console.log(
    Object.entries(scores)
      .map(([k, v]) => `${k}: PSNR ${v.psnr.toFixed(2)} dB, SSIM ${v.ssim.toFixed(4)}`)
      .join('\n'),
  );
  expect(scores.slim!.psnr).toBeGreaterThan(scores.lanczos3!.psnr);
  expect(scores.medium!.psnr).toBeGreaterThan(scores.lanczos3!.psnr);
  expect(scores.slim!.ssim).toBeGreaterThan(scores.lanczos3!.ssim);
  expect(scores.medium!.psnr).toBeGreaterThanOrEqual(scores.slim!.psnr);
});
