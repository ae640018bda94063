/**
 * The output spooled to a file as its rows of tiles finish (`spoolTo`, what the CLI uses so the
 * whole output is never held) holds exactly the pixels of the output held in memory.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp, { type Sharp } from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { upscaleLocal } from '../../src/local/index.js';
import { openPngSpool } from '../../src/local/png-spool.js';
import { rawPixels, syntheticImage, THREADS } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'upscale-spool-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('spooled output', () => {
  it('an odd-sized image with alpha, in several rows of tiles: the same pixels as the held output', async () => {
    const input = await syntheticImage(77, 53, true);
    // Tiles of 32 px: several rows of them, so the file is written in several bands.
    const options = { threads: THREADS, input, scale: 2, tileSize: 32 };
    const spoolTo = join(dir, 'alpha.png');
    const held = await rawPixels((await upscaleLocal(options)).image);
    const spooled = await upscaleLocal({ ...options, spoolTo });
    expect(existsSync(spoolTo)).toBe(true);
    const fromFile = await rawPixels(spooled.image);
    expect([fromFile.width, fromFile.height, fromFile.channels]).toEqual([154, 106, 4]);
    expect([held.width, held.height, held.channels]).toEqual([154, 106, 4]);
    // Not a picture of nothing: the alpha ramp and the colour survive.
    expect(new Set(fromFile.data).size).toBeGreaterThan(200);
    expect(Buffer.compare(fromFile.data, held.data)).toBe(0);
    // The file as it is (what the CLI hands its writer when `spooled`): the same pixels.
    expect(spooled.spooled).toBe(true);
    expect(Buffer.compare((await rawPixels(sharp(spoolTo))).data, held.data)).toBe(0);
  });

  it('a 16-bit grey image: the same 16-bit samples as the held output', async () => {
    const ramp = new Uint16Array(45 * 37).map((_, i) => 20_000 + (i % 45) * 613 + Math.floor(i / 45) * 37);
    const input = await sharp(ramp, { raw: { width: 45, height: 37, channels: 1 } })
      .toColourspace('grey16')
      .png()
      .toBuffer();
    const options = { threads: THREADS, input, scale: 2, tileSize: 24 };
    const deep = (image: Sharp) =>
      image.toColourspace('grey16').raw({ depth: 'ushort' }).toBuffer({ resolveWithObject: true });
    const held = await deep((await upscaleLocal(options)).image);
    const spoolTo = join(dir, 'deep.png');
    const spooled = await deep((await upscaleLocal({ ...options, spoolTo })).image);
    expect([spooled.info.width, spooled.info.channels, spooled.data.length]).toEqual([90, 1, 90 * 74 * 2]);
    expect(Buffer.compare(spooled.data, held.data)).toBe(0);
    expect(Buffer.compare((await deep(sharp(spoolTo))).data, held.data)).toBe(0);
  });

  it('a factor with a resize after the passes holds the output and leaves the file alone', async () => {
    const spoolTo = join(dir, 'three.png');
    const res = await upscaleLocal({
      threads: THREADS,
      input: await syntheticImage(20, 15),
      scale: 3,
      spoolTo,
    });
    expect([res.width, res.height, res.spooled]).toEqual([60, 45, false]);
    expect(existsSync(spoolTo)).toBe(false);
    expect((await rawPixels(res.image)).width).toBe(60);
  });
});

describe('openPngSpool', () => {
  it('refuses to end an image with rows missing, and too many rows', async () => {
    const spool = await openPngSpool(join(dir, 'short.png'), 4, 3, 3, false);
    await spool.writeRows(new Uint8Array(4 * 3 * 2));
    await expect(spool.writeRows(new Uint8Array(4 * 3 * 2))).rejects.toThrow(/do not fit/);
    await expect(spool.close()).rejects.toThrow(/2 of 3 rows/);
  });

  it('a file that cannot be created rejects with ERR_LOCAL_SPOOL and a hint', async () => {
    const path = join(dir, 'no-such-folder', 'x.png');
    const error = await openPngSpool(path, 4, 3, 3, false).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'LocalSpoolError', code: 'ERR_LOCAL_SPOOL', path });
    expect((error as { hint: string }).hint).toMatch(/free space/);
  });
});
