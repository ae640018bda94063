/**
 * The ESRGAN slim and medium models on the eight photos of quality.test.ts, 4x from sharp's cubic
 * reduction, against a true Lanczos-3: they stay where they were measured (docs/local-engine.md:
 * below Lanczos-3, which is why photo is the default); a broken port or conversion falls far below.
 */
import { expect, it } from 'vitest';
import { mean, PHOTOS, scorePhotos } from './quality-score.js';

it('4x on eight real photos: slim and medium stay within 0.5 dB of a true Lanczos-3', async () => {
  expect(PHOTOS.length).toBe(8);
  const { gain } = await scorePhotos(4, ['slim', 'medium']);
  for (const model of ['slim', 'medium']) expect(mean(gain(model))).toBeGreaterThan(-0.5);
}, 120_000);
