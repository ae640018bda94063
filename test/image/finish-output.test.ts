/**
 * The finishing step on real files: provider results simulated the ways upscalers treat an input
 * (colours converted to sRGB or passed through, orientation applied or not, alpha dropped), checked
 * by pixels and by the tags read back.
 */
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ImageFormat } from '../../src/formats.js';
import { finishImage } from '../../src/image/finish-output.js';
import type { OutputOptions } from '../../src/image/output-options.js';
import { readSource, type SourceImage } from '../../src/image/source.js';
import { tagsOf, viewerDistance } from './viewer.js';

const IMAGES = resolve(import.meta.dirname, '../../fixtures/images');
const PHONE = join(IMAGES, 'phone-p3.jpg');
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'upscale-finish-'));
});

interface Upscaler {
  /** Converts colours to sRGB (sharp's default) or passes the stored numbers through. */
  readonly colours?: 'srgb' | 'raw';
  /** Applies the EXIF orientation before upscaling. */
  readonly rotates?: boolean;
  readonly format?: 'png' | 'jpeg';
}

let n = 0;
/** What a metadata-dropping upscaler returns for `input` at 2x. */
async function upscaled(input: string, how: Upscaler = {}): Promise<{ path: string; format: ImageFormat }> {
  const format = how.format ?? 'png';
  let image = sharp(input, { ignoreIcc: how.colours === 'raw' });
  if (how.rotates) image = image.autoOrient();
  const { width, height } = await sharp(await image.clone().png().toBuffer()).metadata();
  image = image.resize(width * 2, height * 2, { fit: 'fill' });
  const out = format === 'jpeg' ? image.flatten({ background: '#000' }).jpeg({ quality: 95 }) : image.png();
  const path = join(dir, `result-${n++}.${format}`);
  await writeFile(path, await out.toBuffer());
  return { path, format };
}

async function finish(
  input: string,
  how: Upscaler,
  options: OutputOptions,
  wanted?: ImageFormat,
  finalSize?: { width: number; height: number },
) {
  const result = await upscaled(input, how);
  const source = (await readSource(input)) as SourceImage;
  return finishImage({
    tempPath: result.path,
    downloaded: result.format,
    format: wanted ?? result.format,
    finalPath: join(dir, `out-${n++}.${wanted ?? result.format}`),
    source,
    options,
    finalSize,
  });
}

describe('finishImage: metadata, orientation and colours of a phone photo (P3, orientation 6, GPS)', () => {
  const cases: [string, Upscaler][] = [
    ['converts to sRGB, ignores orientation (like the emulator)', { colours: 'srgb' }],
    ['passes the stored numbers through', { colours: 'raw' }],
    ['applies the orientation itself', { colours: 'srgb', rotates: true }],
    ['returns a JPEG of raw numbers, rotated', { colours: 'raw', rotates: true, format: 'jpeg' }],
  ];
  it.each(cases)('a provider that %s → upright JPEG with the same tags and profile', async (_, how) => {
    const done = await finish(PHONE, how, {}, 'jpeg');
    expect(done.format).toBe('jpeg');
    const input = await tagsOf(PHONE);
    const { meta, exif } = await tagsOf(done.tempPath);
    // Stored 240×160 with orientation 6 shows as 160×240: the output shows 320×480 and is stored so.
    expect([meta.format, meta.width, meta.height, meta.orientation ?? 1]).toEqual(['jpeg', 320, 480, 1]);
    expect(meta.icc?.equals(input.meta.icc!)).toBe(true);
    expect(exif?.GPSInfo).toEqual(input.exif?.GPSInfo);
    expect(exif?.GPSInfo?.GPSLatitude).toEqual([48, 51, 29.64]);
    expect(exif?.Image?.Model).toBe('Phone P3');
    expect(exif?.Photo?.DateTimeOriginal).toEqual(input.exif?.Photo?.DateTimeOriginal);
    expect(meta.xmpAsString).toContain('Upscale Tester');
    expect(meta.iptc?.toString('latin1')).toContain('Eiffel Tower at dawn');
    // Upright and in the same colours as the input shown by a colour-managed viewer.
    expect(await viewerDistance(done.tempPath, PHONE)).toBeLessThan(4);
  });

  it('--strip-metadata: no tags, pixels turned upright, colours converted to untagged sRGB', async () => {
    for (const colours of ['srgb', 'raw'] as const) {
      const done = await finish(PHONE, { colours }, { stripMetadata: true }, 'jpeg');
      const { meta } = await tagsOf(done.tempPath);
      expect([meta.width, meta.height, meta.orientation]).toEqual([320, 480, undefined]);
      expect([meta.exif, meta.icc, meta.xmp, meta.iptc]).toEqual([
        undefined,
        undefined,
        undefined,
        undefined,
      ]);
      expect(await viewerDistance(done.tempPath, PHONE)).toBeLessThan(4);
    }
  });

  it('carries the tags into PNG and WebP too', async () => {
    for (const format of ['png', 'webp'] as const) {
      const done = await finish(PHONE, {}, {}, format);
      const { meta, exif } = await tagsOf(done.tempPath);
      expect([meta.format, meta.width, meta.height]).toEqual([format, 320, 480]);
      expect(exif?.GPSInfo?.GPSLongitude).toEqual([2, 17, 40.2]);
      expect(meta.icc?.length).toBeGreaterThan(0);
      expect(await viewerDistance(done.tempPath, PHONE)).toBeLessThan(4);
    }
  });

  it('resizes to an exact displayed size', async () => {
    const done = await finish(PHONE, {}, {}, 'jpeg', { width: 300, height: 450 });
    const { meta } = await tagsOf(done.tempPath);
    expect([meta.width, meta.height]).toEqual([300, 450]);
  });
});

describe('finishImage: transparency', () => {
  const ALPHA = join(IMAGES, 'alpha.png');

  it('keeps the alpha of the input when the provider kept it', async () => {
    const done = await finish(ALPHA, {}, {});
    expect(done.notices).toEqual([]);
    expect((await sharp(done.tempPath).metadata()).hasAlpha).toBe(true);
    expect(await viewerDistance(done.tempPath, ALPHA, true)).toBeLessThan(4);
  });

  it('restores the alpha a provider dropped (a JPEG result) when the output is PNG', async () => {
    const done = await finish(ALPHA, { format: 'jpeg' }, {}, 'png');
    const meta = await sharp(done.tempPath).metadata();
    expect([meta.format, meta.hasAlpha, meta.width]).toEqual(['png', true, 400]);
    expect(await viewerDistance(done.tempPath, ALPHA, true)).toBeLessThan(4);
  });

  it('flattens on --background for JPEG and says so', async () => {
    const done = await finish(ALPHA, {}, { background: '#00ff00' }, 'jpeg');
    expect(done.notices).toEqual([
      { code: 'ALPHA_FLATTENED', message: 'jpeg has no transparency: flattened on #00ff00' },
    ]);
    const corner = await sharp(done.tempPath)
      .extract({ left: 0, top: 0, width: 1, height: 1 })
      .raw()
      .toBuffer();
    expect([...corner].map((v) => Math.round(v / 10))).toEqual([0, 26, 0]);
  });
});

describe('finishImage: only when something differs', () => {
  it('keeps the downloaded bytes when the format matches and the input has no metadata', async () => {
    const photo = join(IMAGES, 'photo.jpg');
    const result = await upscaled(photo, { format: 'jpeg' });
    const before = await readFile(result.path);
    const done = await finishImage({
      tempPath: result.path,
      downloaded: 'jpeg',
      format: 'jpeg',
      finalPath: join(dir, 'same.jpg'),
      source: await readSource(photo),
      options: {},
    });
    expect(done.tempPath).toBe(result.path);
    expect((await readFile(done.tempPath)).equals(before)).toBe(true);
  });

  it.each([
    ['RGBA', 4, 'srgb'],
    ['16-bit grey', 1, 'grey16'],
  ] as const)(
    'encodes an uncompressed %s result again at sharp defaults, pixels unchanged (local engine)',
    async (_, channels, space) => {
      const deep = space === 'grey16';
      const width = 120;
      const height = 90;
      const values = Array.from({ length: width * height * channels }, (_, i) => (i * 7) % 251);
      const samples = deep ? new Uint16Array(values.map((v) => v * 257)) : Buffer.from(values);
      const path = join(dir, `level0-${space}.png`);
      await sharp(samples, { raw: { width, height, channels } })
        .toColourspace(space)
        .png({ compressionLevel: 0 })
        .toFile(path);
      const job = {
        tempPath: path,
        downloaded: 'png',
        format: 'png',
        source: undefined,
        options: {},
      } as const;
      const before = await readFile(path);
      const kept = await finishImage({ ...job, finalPath: join(dir, `kept-${space}.png`) });
      expect(kept.tempPath).toBe(path);
      await writeFile(path, before);
      const done = await finishImage({
        ...job,
        finalPath: join(dir, `again-${space}.png`),
        uncompressed: true,
      });
      expect(done.tempPath).not.toBe(path);
      const after = await readFile(done.tempPath);
      const sharpDefault = await sharp(before).toColourspace(space).png().toBuffer();
      expect(after.length).toBe(sharpDefault.length);
      expect(after.length).toBeLessThan(before.length / 2);
      const depth = deep ? 'ushort' : 'uchar';
      const raw = (png: Buffer) =>
        sharp(png).toColourspace(space).raw({ depth }).toBuffer({ resolveWithObject: true });
      const [a, b] = await Promise.all([raw(before), raw(after)]);
      expect([b.info.channels, b.info.width]).toEqual([channels, width]);
      expect(b.data.equals(a.data)).toBe(true);
    },
  );

  it('converts to the wanted format at the asked quality', async () => {
    const photo = join(IMAGES, 'photo.jpg');
    const low = await finish(photo, {}, { quality: 20 }, 'webp');
    const high = await finish(photo, {}, { quality: 95 }, 'webp');
    expect((await sharp(low.tempPath).metadata()).format).toBe('webp');
    expect((await readFile(low.tempPath)).length).toBeLessThan((await readFile(high.tempPath)).length);
  });
});
