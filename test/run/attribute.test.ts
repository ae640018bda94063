/**
 * Attribution of a lost submit's task by how results look (issue 22, Must 4): structure that
 * survives a creative re-interpretation attributes more, colour tells apart inputs of one layout,
 * and nothing ever picks another input's result or a stranger's.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp, { type Sharp } from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import {
  decodeThumbnail,
  structureDistance,
  type Thumbnail,
  thumbnailDistance,
} from '../../src/image/thumbnail.js';
import { attribute, type ExaminedTask, type InputLooks } from '../../src/run/attribute.js';
import { IMAGES } from '../e2e/cli-harness.js';

const dir = mkdtempSync(join(tmpdir(), 'upscale-attribute-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let written = 0;
/** The thumbnail of an image, decoded from a file as recovery does. */
async function thumb(image: Sharp): Promise<Thumbnail> {
  const path = join(dir, `${written++}.png`);
  await image.toFile(path);
  const decoded = await decodeThumbnail(path);
  if (!decoded) throw new Error(`${path} did not decode`);
  return decoded;
}
const looks = async (image: Sharp): Promise<InputLooks> => [await thumb(image)];

const PHOTOS = ['astronaut', 'camera', 'coffee', 'rocket', 'gravel'].map((n) =>
  join(IMAGES, 'photos', `${n}.png`),
);

/** Made once per key and shared by the tests, which only read what they get. */
function once<T>(make: (key: string) => Promise<T>): (key: string) => Promise<T> {
  const made = new Map<string, Promise<T>>();
  return (key) => {
    const value = made.get(key) ?? make(key);
    made.set(key, value);
    return value;
  };
}

/** A plain 2x of a file (PNG). */
const plainTwice = once(async (path) => {
  const { width, height } = await sharp(path).metadata();
  return sharp(path)
    .resize(width! * 2, height! * 2)
    .png()
    .toBuffer();
});

/** A 2x of a file, treated by `how` the way another engine or a high creativity might. */
async function twice(path: string, how: (image: Sharp) => Sharp = (i) => i): Promise<Sharp> {
  return how(sharp(await plainTwice(path)));
}

/** A photo's thumbnail, and its plain 2x's. */
const photoThumb = once((path) => thumb(sharp(path)));
const plainTwiceThumb = once(async (path) => thumb(await twice(path)));

/** Ways a result can look unlike its input and still be its upscale. */
const TREATMENTS: Record<string, (image: Sharp) => Sharp> = {
  'hue turned half-way round': (i) => i.modulate({ hue: 180 }),
  'hue, saturation and brightness all pushed': (i) => i.modulate({ hue: 90, saturation: 2, brightness: 1.3 }),
  'a colour grade (channels scaled and shifted, gamma)': (i) =>
    i.linear([1.6, 0.7, 0.4], [-40, 30, 60]).gamma(2.2),
  'a high-creativity re-rendering (sharpened, softened, recoloured, re-encoded)': (i) =>
    i
      .sharpen({ sigma: 3, m1: 3, m2: 10 })
      .blur(1.5)
      .modulate({ saturation: 1.8, hue: 30 })
      .jpeg({ quality: 30 }),
  'a monochrome tint': (i) => i.greyscale().tint('#ff8800'),
};

/** Noise of one size whose layout depends on `seed` (xorshift: no pattern across seeds). */
function noise(
  seed: number,
  size = 24,
  colours: (v: number) => number[] = (v) => [v, v * 0.8, v * 0.6],
): Sharp {
  const data = Buffer.alloc(size * size * 3);
  let x = seed * 0x9e3779b9 || 1;
  for (let i = 0; i < size * size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    data.set(
      colours((x >>> 0) % 256).map((c) => c | 0),
      i * 3,
    );
  }
  return sharp(data, { raw: { width: size, height: size, channels: 3 } }).png();
}

const twiceOf = async (image: Sharp, size = 24) =>
  sharp(await image.toBuffer())
    .resize(size * 2, size * 2, { fit: 'fill' })
    .png();

describe('structureDistance: the layout at low resolution, whatever the colours', () => {
  it.each(Object.entries(TREATMENTS))(
    'a photo and its 2x with %s are close in structure',
    async (_how, treat) => {
      for (const photo of PHOTOS) {
        const input = await photoThumb(photo);
        const result = await thumb(await twice(photo, treat));
        expect(structureDistance(input, result), photo).toBeLessThan(0.2);
      }
    },
  );

  it('several of those treatments are far in colour: colour alone would have disowned them', async () => {
    const input = await photoThumb(PHOTOS[0]!);
    const far = await thumb(await twice(PHOTOS[0]!, TREATMENTS['hue turned half-way round']!));
    expect(thumbnailDistance(input, far)).toBeGreaterThan(20);
  });

  it('unrelated photos are far apart', async () => {
    const thumbs = await Promise.all(PHOTOS.map(photoThumb));
    for (const [i, a] of thumbs.entries())
      for (const b of thumbs.slice(i + 1)) expect(structureDistance(a, b)).toBeGreaterThan(0.5);
  });

  it('a plain 2x of small noise stays close; other noise of the same size is about 1 away', async () => {
    const input = await thumb(noise(1));
    expect(structureDistance(input, await thumb(await twiceOf(noise(1))))).toBeLessThan(0.3);
    expect(structureDistance(input, await thumb(await twiceOf(noise(2))))).toBeGreaterThan(0.8);
  });

  it('a flat picture has no structure to compare: undefined, and colour must tell', async () => {
    const flat = await thumb(
      sharp({ create: { width: 30, height: 20, channels: 3, background: '#456' } }).png(),
    );
    expect(structureDistance(flat, await thumb(sharp(PHOTOS[0]!)))).toBeUndefined();
    expect(structureDistance(flat, flat)).toBeUndefined();
  });
});

describe('attribute: "this one", or nothing', () => {
  /** Candidates made from photos: the i-th is `treat`ed (the others plain). */
  async function photoResults(i: number, treat: (image: Sharp) => Sharp): Promise<ExaminedTask[]> {
    return Promise.all(
      PHOTOS.map(async (p, k) => ({
        id: `task-${k}`,
        thumb: k === i ? await thumb(await twice(p, treat)) : await plainTwiceThumb(p),
      })),
    );
  }

  it.each(Object.entries(TREATMENTS))(
    'the input’s own result with %s is attributed among other photos’ results',
    async (_how, treat) => {
      const candidates = await photoResults(0, treat);
      expect(attribute([await photoThumb(PHOTOS[0]!)], candidates, [])).toBe('task-0');
      // …also when the other photos are lost submits of the run too (rivals).
      const rivals = await Promise.all(PHOTOS.slice(1).map(async (p) => [await photoThumb(p)]));
      expect(attribute([await photoThumb(PHOTOS[0]!)], candidates, rivals)).toBe('task-0');
    },
  );

  it('a stranger’s result only (the input’s submit created nothing): no attribution', async () => {
    const candidates = (await photoResults(-1, (i) => i)).slice(1);
    expect(attribute(await looks(sharp(PHOTOS[0]!)), candidates, [])).toBeUndefined();
  });

  it('eight same-size noise images, all answers lost: each result is its own input’s or nobody’s', async () => {
    const inputs = await Promise.all(Array.from({ length: 8 }, (_, i) => looks(noise(i + 1))));
    const results = await Promise.all(
      Array.from({ length: 8 }, async (_, i) => ({
        id: `n${i}`,
        thumb: await thumb(await twiceOf(noise(i + 1))),
      })),
    );
    for (const [i, input] of inputs.entries()) {
      const picked = attribute(
        input,
        results,
        inputs.filter((_, k) => k !== i),
      );
      // Structure tells them apart (colour cannot: 2x of small noise is over 20/255 off its input).
      expect(picked).toBe(`n${i}`);
    }
    // Half of them created nothing: those are never given another's result.
    for (const [i, input] of inputs.entries()) {
      const picked = attribute(
        input,
        results.filter((_, k) => k % 2 === 0 && k !== i),
        inputs.filter((_, k) => k !== i),
      );
      expect(picked).toBeUndefined();
    }
  });

  it('two near-identical inputs (one pixel apart): neither result is attributed', async () => {
    const a = noise(5);
    const raw = await sharp(await a.toBuffer())
      .raw()
      .toBuffer();
    raw[0] = 255 - raw[0]!;
    const b = sharp(raw, { raw: { width: 24, height: 24, channels: 3 } }).png();
    const candidates = [
      { id: 'a', thumb: await thumb(await twiceOf(noise(5))) },
      {
        id: 'b',
        thumb: await thumb(await twiceOf(sharp(raw, { raw: { width: 24, height: 24, channels: 3 } }).png())),
      },
    ];
    expect(attribute(await looks(noise(5)), candidates, [await looks(b)])).toBeUndefined();
    // Alone in the list, the look-alike is still another input's rival: not taken either.
    expect(attribute(await looks(noise(5)), candidates.slice(1), [await looks(b)])).toBeUndefined();
  });

  it('one grey layout in two colours (burst shots): colour picks each one’s own', async () => {
    const red = (v: number) => [v, v * 0.6, 40];
    const green = (v: number) => [v * 0.6, v, 40];
    const inputs = [await looks(noise(3, 48, red)), await looks(noise(3, 48, green))];
    const candidates = [
      { id: 'red', thumb: await thumb(await twiceOf(noise(3, 48, red), 48)) },
      { id: 'green', thumb: await thumb(await twiceOf(noise(3, 48, green), 48)) },
    ];
    expect(attribute(inputs[0]!, candidates, [inputs[1]!])).toBe('red');
    expect(attribute(inputs[1]!, candidates, [inputs[0]!])).toBe('green');
  });

  it('a same-coloured flat result of another shape is not attributed', async () => {
    const black = (width: number, height = 16) =>
      sharp({ create: { width, height, channels: 3, background: '#000' } }).png();
    // 24×16 at 2x: another client's, of another shape than our 34×16.
    const theirs = { id: 'theirs', thumb: await thumb(black(48, 32)) };
    expect(attribute(await looks(black(34)), [theirs], [])).toBeUndefined();
    // Of the input's own shape at 2x it is (flat pictures: colour and shape are all there is).
    const ours = { id: 'ours', thumb: await thumb(black(68, 32)) };
    expect(attribute(await looks(black(34)), [theirs, ours], [])).toBe('ours');
  });

  it('colour alone never attributes a result laid out otherwise', async () => {
    // Same palette and size, another layout: close enough in colour at 64×64 once both are blurred.
    const input = await looks(sharp(await noise(7, 48).toBuffer()).blur(6));
    const other = {
      id: 'other',
      thumb: await thumb(sharp(await (await twiceOf(noise(8, 48), 48)).toBuffer()).blur(12)),
    };
    expect(thumbnailDistance(input[0]!, other.thumb)).toBeLessThan(20);
    expect(attribute(input, [other], [])).toBeUndefined();
  });
});
