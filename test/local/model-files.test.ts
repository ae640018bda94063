/**
 * The shipped model files: they load, they are the reference conversion of the @upscalerjs
 * packages with float16 weights, and float16 changes the output by at most 1 grey level.
 */
import { readFile } from 'node:fs/promises';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { findModelFile } from '../../src/local/assets.js';
import { convertPackageModel } from '../../src/local/convert-package.js';
import { fromFloat16Bits, toFloat16Bits } from '../../src/local/float16.js';
import { type LocalModel, modelNets, netName } from '../../src/local/models.js';
import { maxAbsDiff, PHOTO, runModelOnce } from './helpers.js';

describe('float16', () => {
  it.each([
    [0, 0x0000],
    [-0, 0x8000],
    [1, 0x3c00],
    [-2, 0xc000],
    [65504, 0x7bff],
    [65520, 0x7c00], // rounds up to Infinity
    [2 ** -24, 0x0001], // smallest subnormal
    [2 ** -25, 0x0000], // half of it: ties to even (0)
    [1 + 2 ** -11, 0x3c00], // tie between 1 and 1+2^-10: to even
    [1 + 3 * 2 ** -11, 0x3c02], // tie: to even (up)
    [Number.POSITIVE_INFINITY, 0x7c00],
  ])('%d → 0x%s', (value, bits) => {
    expect(toFloat16Bits(value)).toBe(bits);
  });

  it('round-trips every finite half exactly', () => {
    // One assertion over all of them (65 536 expect calls took a second), naming any that fail.
    const wrong: string[] = [];
    let checked = 0;
    for (let b = 0; b < 0x10000; b++) {
      if ((b & 0x7c00) === 0x7c00) continue;
      checked++;
      const back = toFloat16Bits(fromFloat16Bits(b));
      if (back !== b) wrong.push(`0x${b.toString(16)} -> 0x${back.toString(16)}`);
    }
    expect(checked).toBe(0x10000 - 2 * 0x400);
    expect(wrong).toEqual([]);
  });
});

describe('shipped model files', () => {
  it.each(['photo', 'slim', 'medium'] as LocalModel[])(
    '%s: every file equals the reference conversion (float16), and its output stays within 1 level of float32',
    async (model) => {
      // 48x48 crop of the bundled photo: real texture, small enough for medium in a test. The
      // float16 rounding shows in as large a share of its samples as on a 96x96 crop (1-2 % off by
      // one level, none by more, for every net), at a quarter of the inference.
      const { data, info } = await sharp(PHOTO)
        .removeAlpha()
        .extract({ left: 104, top: 84, width: 48, height: 48 })
        .raw()
        .toBuffer({ resolveWithObject: true });
      for (const { scale, jpeg } of modelNets(model)) {
        const name = netName(model, { scale, jpeg });
        const shipped = findModelFile(model, { scale, jpeg })!;
        const file = await readFile(shipped.path);
        const half = await convertPackageModel(model, scale, { weights: 'float16', jpeg });
        expect(Buffer.compare(file, half.onnx), `${name} differs from a fresh conversion`).toBe(0);
        expect(shipped.receptiveRadius).toBe(half.receptiveRadius);
        if (scale === 8) continue; // x8 is slow on 1 thread; x2-x4 share its layers but the last
        const full = await convertPackageModel(model, scale, { weights: 'float32', jpeg });
        const { data: a } = await runModelOnce(file, data, info.width, info.height);
        const { data: b } = await runModelOnce(full.onnx, data, info.width, info.height);
        expect(maxAbsDiff(a, b), name).toBeLessThanOrEqual(1);
      }
    },
    120_000,
  );
});
