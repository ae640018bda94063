/** Alpha is kept; AbortSignal stops between tiles with an AbortError. */
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { upscaleLocal } from '../../src/local/index.js';
import { maxAbsDiff, rawPixels, syntheticImage, THREADS } from './helpers.js';

describe('alpha', () => {
  it('keeps the alpha channel (lanczos-resized) and upscales colour with the model', async () => {
    const input = await syntheticImage(40, 30, true);
    const res = await upscaleLocal({ threads: THREADS, input, scale: 2 });
    const out = await rawPixels(res.image);
    expect([out.width, out.height, out.channels]).toEqual([80, 60, 4]);

    const expectedAlpha = await sharp(input)
      .extractChannel(3)
      .resize(80, 60, { kernel: 'lanczos3' })
      .raw()
      .toBuffer();
    const alpha = Buffer.alloc(80 * 60);
    for (let i = 0; i < alpha.length; i++) alpha[i] = out.data[i * 4 + 3]!;
    expect(maxAbsDiff(alpha, expectedAlpha)).toBeLessThanOrEqual(1);
    expect(alpha[0]).toBe(0); // transparent left edge stays transparent
    expect(alpha[79]).toBe(255);

    // And it encodes as a PNG with alpha.
    const meta = await sharp(await res.image.png().toBuffer()).metadata();
    expect(meta.hasAlpha).toBe(true);
  });

  it('a hard edge over hidden black gets no dark fringe (colour bled under transparency first)', async () => {
    // Left half transparent with black underneath, right half opaque light blue.
    const w = 48;
    const h = 32;
    const data = Buffer.alloc(w * h * 4);
    for (let i = 0; i < w * h; i++) if (i % w >= w / 2) data.set([200, 220, 240, 255], i * 4);
    const input = await sharp(data, { raw: { width: w, height: h, channels: 4 } })
      .png()
      .toBuffer();
    const out = await rawPixels((await upscaleLocal({ threads: THREADS, input, scale: 4 })).image);
    // Visible pixels near the edge (alpha ≥ 128): how much darker than the colour, on average.
    let darker = 0;
    let n = 0;
    for (let i = 0; i < out.width * out.height; i++) {
      if (out.data[i * 4 + 3]! < 128 || i % out.width > out.width / 2 + 8) continue;
      for (const [c, want] of [200, 220, 240].entries()) darker += want - out.data[i * 4 + c]!;
      n += 3;
    }
    // Without the bleed: 4.3 levels darker on average (measured); with it: about 1 lighter.
    expect(Math.abs(darker / n)).toBeLessThanOrEqual(2);
  });
});

describe('abort', () => {
  it('stops between tiles and rejects with an AbortError', async () => {
    const input = await syntheticImage(96, 96);
    const controller = new AbortController();
    const seen: number[] = [];
    const run = upscaleLocal({
      threads: THREADS,
      input,
      scale: 2,
      tileSize: 40,
      signal: controller.signal,
      onProgress: ({ tilesDone }) => {
        seen.push(tilesDone);
        if (tilesDone === 2) controller.abort();
      },
    });
    await expect(run).rejects.toMatchObject({ name: 'AbortError' });
    expect(seen).toEqual([0, 1, 2]); // no tile ran after the abort
  });

  it('rejects at once when the signal has already fired', async () => {
    const reason = new Error('user pressed ctrl-c');
    const err = await upscaleLocal({
      threads: THREADS,
      input: 'does-not-matter.png',
      scale: 4,
      signal: AbortSignal.abort(reason),
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).name).toBe('AbortError');
    expect((err as Error).cause).toBe(reason);
  });
});
