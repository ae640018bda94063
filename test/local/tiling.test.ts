/** Tile planning properties, and seam-freedom of tiled inference against an untiled run. */
import { describe, expect, it } from 'vitest';
import { upscaleLocal } from '../../src/local/index.js';
import { planAxis, planTiles, reflectIndex } from '../../src/local/tiling.js';
import { maxAbsDiff, rawPixels, syntheticImage, THREADS } from './helpers.js';

describe('planAxis', () => {
  it('partitions the axis into equal windows with >= pad of (possibly mirrored) context everywhere', () => {
    // Plain checks in the loop (expect() per case is slow over ~2,000 plans).
    const bad: string[] = [];
    for (const pad of [0, 3, 10, 24])
      for (const maxWindow of [2 * pad + 1, 2 * pad + 7, 64, 192])
        for (let length = 1; length <= 700; length += 7) {
          const spans = planAxis(length, maxWindow, pad);
          const ok =
            spans[0]!.keepStart === 0 &&
            spans.at(-1)!.keepEnd === length &&
            spans.every(
              (s, i) =>
                s.size === spans[0]!.size &&
                (s.size <= maxWindow || spans.length === 1) &&
                s.start >= -pad &&
                s.start + s.size <= length + pad &&
                s.keepEnd > s.keepStart &&
                (i === 0 || s.keepStart === spans[i - 1]!.keepEnd) &&
                s.keepStart - s.start >= pad &&
                s.start + s.size - s.keepEnd >= pad,
            );
          if (!ok) bad.push(`length ${length} window ${maxWindow} pad ${pad}: ${JSON.stringify(spans)}`);
        }
    expect(bad).toEqual([]);
  });

  it('mirrors coordinates past the border without repeating the edge pixel', () => {
    expect([-3, -2, -1, 0, 1, 2, 3, 4, 5, 6].map((i) => reflectIndex(i, 4))).toEqual([
      3, 2, 1, 0, 1, 2, 3, 2, 1, 0,
    ]);
    expect(reflectIndex(-7, 1)).toBe(0);
    expect(reflectIndex(-25, 3)).toBe(1);
  });

  it('uses one window when the image fits and few windows otherwise', () => {
    expect(planAxis(100, 192, 10)).toEqual([{ start: -10, size: 120, keepStart: 0, keepEnd: 100 }]);
    // 512 px with 192 px windows and 10 px context: 3 windows of 191 px.
    const spans = planAxis(512, 192, 10);
    expect(spans.map((s) => s.size)).toEqual([191, 191, 191]);
    expect(planTiles(512, 300, 192, 10)).toHaveLength(3 * 2);
  });

  it('rejects a tile too small for its overlap', () => {
    expect(() => planAxis(100, 20, 10)).toThrow(RangeError);
  });
});

describe('tiled inference', () => {
  it.each(['photo', 'slim'] as const)(
    '%s: tiled output equals the untiled one (no seams) within 1 level',
    async (model) => {
      // 40 px tiles keep 10 px of context, photo's and slim's receptive radius: 3 x 3 windows of
      // 39 x 35 px over 56 x 44, so one tile has a seam on all four sides.
      const input = await syntheticImage(56, 44);
      let tiles = 0;
      const tiled = await upscaleLocal({
        threads: THREADS,
        input,
        scale: 2,
        model,
        tileSize: 40,
        onProgress: (p) => {
          tiles = p.tilesTotal;
        },
      });
      const whole = await upscaleLocal({ threads: THREADS, input, scale: 2, model, tileSize: 512 });
      expect(tiles).toBeGreaterThanOrEqual(9);
      const a = await rawPixels(tiled.image);
      const b = await rawPixels(whole.image);
      expect([a.width, a.height]).toEqual([112, 88]);
      expect(maxAbsDiff(a.data, b.data)).toBeLessThanOrEqual(1);
    },
  );

  it('medium with less context than its receptive field (as thick always has) stays within 2 levels', async () => {
    const input = await syntheticImage(52, 50);
    // tileSize 48 -> 12 px context, below medium's 18 px receptive radius: 3 x 3 windows of 42 x 41 px.
    let tiles = 0;
    const tiled = await upscaleLocal({
      threads: THREADS,
      input,
      scale: 2,
      model: 'medium',
      tileSize: 48,
      onProgress: (p) => {
        tiles = p.tilesTotal;
      },
    });
    const whole = await upscaleLocal({ threads: THREADS, input, scale: 2, model: 'medium', tileSize: 512 });
    expect(tiles).toBe(9);
    const a = await rawPixels(tiled.image);
    const b = await rawPixels(whole.image);
    expect(maxAbsDiff(a.data, b.data)).toBeLessThanOrEqual(2);
  });
});
