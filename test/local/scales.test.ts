/** Factor planning: model factors, repeated passes, lanczos for the rest, clear refusals. */
import { describe, expect, it } from 'vitest';
import { upscaleLocal } from '../../src/local/index.js';
import { planScale } from '../../src/local/scale-plan.js';
import { rawPixels, syntheticImage, THREADS } from './helpers.js';

const SCALES = [2, 3, 4, 8];

describe('planScale', () => {
  it('uses one pass for model factors', () => {
    for (const s of SCALES) expect(planScale(s, SCALES)).toEqual({ passes: [s], resize: false });
  });
  it('picks the nearest model then resizes for other factors', () => {
    expect(planScale(2.5, SCALES)).toEqual({ passes: [3], resize: true }); // tie in log terms? no: 3 is nearer
    expect(planScale(1.5, SCALES)).toEqual({ passes: [2], resize: true });
    expect(planScale(5, SCALES)).toEqual({ passes: [4], resize: true });
    expect(planScale(7, SCALES)).toEqual({ passes: [8], resize: true });
    // Only x2/x4 available: 3 is equally far from both in log terms -> the larger, then shrink.
    expect(planScale(3, [2, 4])).toEqual({ passes: [4], resize: true });
  });
  it('chains x4 passes above the largest model', () => {
    expect(planScale(16, SCALES)).toEqual({ passes: [4, 4], resize: false });
    expect(planScale(12, SCALES)).toEqual({ passes: [4, 3], resize: false });
    expect(planScale(32, SCALES)).toEqual({ passes: [4, 8], resize: false });
    expect(planScale(10, SCALES)).toEqual({ passes: [4, 3], resize: true });
  });
  it('refuses factors it cannot do, saying why', () => {
    expect(() => planScale(1, SCALES)).toThrow(/greater than 1/);
    expect(() => planScale(0.5, SCALES)).toThrow(RangeError);
    expect(() => planScale(Number.NaN, SCALES)).toThrow(RangeError);
    expect(() => planScale(64, SCALES)).toThrow(/too large.*max 32/);
  });
});

describe('upscaleLocal sizes', () => {
  it('2.5x with slim runs its x3 model and resizes to round(w*2.5)', async () => {
    const input = await syntheticImage(21, 15);
    const res = await upscaleLocal({ threads: THREADS, input, scale: 2.5, model: 'slim' });
    expect([res.width, res.height, res.passes]).toEqual([53, 38, 1]);
    const px = await rawPixels(res.image);
    expect([px.width, px.height]).toEqual([53, 38]);
  });

  it('3x with slim is a single x3 pass', async () => {
    const input = await syntheticImage(20, 12);
    const res = await upscaleLocal({ threads: THREADS, input, scale: 3, model: 'slim' });
    expect([res.width, res.height, res.passes]).toEqual([60, 36, 1]);
  });

  it('the default photo model (x2 and x4 nets): 3x is one x4 pass shrunk, 8x an x4 then an x2 pass', async () => {
    const input = await syntheticImage(20, 12);
    const three = await upscaleLocal({ threads: THREADS, input, scale: 3 });
    expect([three.width, three.height, three.passes]).toEqual([60, 36, 1]);
    const eight = await upscaleLocal({ threads: THREADS, input, scale: 8 });
    expect([eight.width, eight.height, eight.passes]).toEqual([160, 96, 2]);
    const px = await rawPixels(eight.image);
    expect([px.width, px.height]).toEqual([160, 96]);
  });

  it('16x chains two x4 passes and reports progress over both', async () => {
    const progress: { tilesDone: number; tilesTotal: number }[] = [];
    const res = await upscaleLocal({
      threads: THREADS,
      input: await syntheticImage(10, 8),
      scale: 16,
      tileSize: 72,
      onProgress: (p) => progress.push(p),
    });
    expect([res.width, res.height, res.passes]).toEqual([160, 128, 2]);
    // pass 1: one 10x8 tile; pass 2: 40x32 with the x4 net's 14 px of context each side fits one
    // 72px tile -> 2 tiles in all.
    expect(progress).toEqual([
      { tilesDone: 0, tilesTotal: 2 },
      { tilesDone: 1, tilesTotal: 2 },
      { tilesDone: 2, tilesTotal: 2 },
    ]);
    expect(res.runtime).toMatch(/^onnxruntime-(web|node)$/);
    expect(res.threads).toBeGreaterThanOrEqual(1);
  });

  it('rejects bad options with RangeError before doing any work', async () => {
    await expect(upscaleLocal({ threads: THREADS, input: 'x.png', scale: 0 })).rejects.toThrow(RangeError);
    await expect(upscaleLocal({ input: 'x.png', scale: 2, threads: 0 })).rejects.toThrow(/threads/);
    await expect(upscaleLocal({ threads: THREADS, input: 'x.png', scale: 2, tileSize: 8 })).rejects.toThrow(
      /tileSize/,
    );
    // @ts-expect-error: an unknown model name from untyped CLI input
    await expect(upscaleLocal({ threads: THREADS, input: 'x.png', scale: 2, model: 'huge' })).rejects.toThrow(
      /unknown local model/,
    );
  });
});
