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

    // Colour equals upscaling the same image without alpha.
    const opaque = await upscaleLocal({
      threads: THREADS,
      input: await sharp(input).removeAlpha().png().toBuffer(),
      scale: 2,
    });
    const rgb = await rawPixels(opaque.image);
    expect(rgb.channels).toBe(3);
    const colour = Buffer.alloc(80 * 60 * 3);
    for (let i = 0; i < 80 * 60; i++) out.data.copy(colour, i * 3, i * 4, i * 4 + 3);
    expect(maxAbsDiff(colour, rgb.data)).toBe(0);

    // And it encodes as a PNG with alpha.
    const meta = await sharp(await res.image.png().toBuffer()).metadata();
    expect(meta.hasAlpha).toBe(true);
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
