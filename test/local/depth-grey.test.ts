/**
 * Grey in → grey out, 16-bit in → 16-bit out (issue 25, Must 5): the nets see RGB, the output
 * keeps the input's channels and depth; alpha as before.
 */
import sharp, { type Sharp } from 'sharp';
import { describe, expect, it } from 'vitest';
import { upscaleLocal } from '../../src/local/index.js';
import { syntheticImage, THREADS } from './helpers.js';

/** A smooth 16-bit grey ramp with detail below 8 bits (values that are not multiples of 257). */
function ramp16(width: number, height: number): Uint16Array {
  return new Uint16Array(width * height).map(
    (_, i) => 20_000 + (i % width) * 613 + Math.floor(i / width) * 37,
  );
}

async function encoded(image: Sharp) {
  const png = await image.png({ compressionLevel: 0 }).toBuffer();
  const meta = await sharp(png).metadata();
  return { png, meta };
}

describe('grey and 16-bit inputs', () => {
  it('a grey 8-bit PNG gives a one-channel grey output', async () => {
    const input = await sharp(await syntheticImage(40, 30))
      .greyscale()
      .toColourspace('b-w')
      .png()
      .toBuffer();
    expect((await sharp(input).metadata()).channels).toBe(1);
    const res = await upscaleLocal({ threads: THREADS, input, scale: 2 });
    const { meta } = await encoded(res.image);
    expect([meta.channels, meta.depth, meta.width]).toEqual([1, 'uchar', 80]);
  });

  it('grey with alpha stays grey with alpha', async () => {
    const input = await sharp(await syntheticImage(40, 30, true))
      .toColourspace('b-w')
      .png()
      .toBuffer();
    expect((await sharp(input).metadata()).channels).toBe(2);
    const res = await upscaleLocal({ threads: THREADS, input, scale: 2 });
    const { meta } = await encoded(res.image);
    expect([meta.channels, meta.hasAlpha]).toEqual([2, true]);
  });

  it('a 16-bit grey PNG gives a 16-bit grey output with its sub-8-bit detail', async () => {
    const input = await sharp(ramp16(40, 30), { raw: { width: 40, height: 30, channels: 1 } })
      .toColourspace('grey16')
      .png()
      .toBuffer();
    const res = await upscaleLocal({ threads: THREADS, input, scale: 2 });
    const { png, meta } = await encoded(res.image);
    expect([meta.channels, meta.depth, meta.width]).toEqual([1, 'ushort', 80]);
    const out = await sharp(png).toColourspace('grey16').raw({ depth: 'ushort' }).toBuffer();
    const samples = new Uint16Array(out.buffer, out.byteOffset, out.length / 2);
    // Not 8-bit values widened: most samples fall between multiples of 257.
    const between = samples.filter((v) => v % 257 !== 0).length;
    expect(between / samples.length).toBeGreaterThan(0.9);
    // And the picture is the ramp, enlarged: the middle row stays within 2 % of its source.
    const mid = samples[30 * 80 + 40]!;
    const source = 20_000 + 20 * 613 + 15 * 37;
    expect(Math.abs(mid - source) / source).toBeLessThan(0.02);
  });

  it('a 16-bit RGB PNG gives a 16-bit RGB output', async () => {
    const grey = ramp16(40, 30);
    const rgb = new Uint16Array(grey.length * 3).map((_, i) => grey[Math.floor(i / 3)]! - (i % 3) * 4000);
    const input = await sharp(rgb, { raw: { width: 40, height: 30, channels: 3 } })
      .toColourspace('rgb16')
      .png()
      .toBuffer();
    const res = await upscaleLocal({ threads: THREADS, input, scale: 4 });
    const { meta } = await encoded(res.image);
    expect([meta.channels, meta.depth, meta.width]).toEqual([3, 'ushort', 160]);
  });
});
