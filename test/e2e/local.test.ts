/** Issue 8 end to end: `-p local` needs no key and no network, and behaves like any provider. */
import { copyFile, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { beforeEach, describe, expect, it } from 'vitest';
import { emulatorEnv, IMAGES, jsonLines, runCli, tempDir, useEmulator } from './cli-harness.js';

let dir: string;
beforeEach(async () => {
  dir = await tempDir();
  await copyFile(join(IMAGES, 'small.png'), join(dir, 'small.png'));
  await copyFile(join(IMAGES, 'alpha.png'), join(dir, 'alpha.png'));
});

describe('-p local', () => {
  it('upscales 4x with no key, keeps alpha, and skips on the second run', async () => {
    const run = await runCli(['small.png', 'alpha.png', '-p', 'local', '--scale', '4x', '--json'], {
      cwd: dir,
    });
    expect(run.stderr).not.toContain('error');
    expect(run.code).toBe(0);
    const lines = jsonLines(run.stdout);
    expect(lines.map((l) => l.status)).toEqual(['succeeded', 'succeeded']);
    const small = await sharp(join(dir, 'small@4x.png')).metadata();
    expect([small.width, small.height]).toEqual([800, 640]);
    const alpha = await sharp(join(dir, 'alpha@4x.png')).metadata();
    expect(alpha.hasAlpha).toBe(true);
    expect((await readdir(dir)).filter((f) => f.endsWith('.part'))).toEqual([]);

    const again = await runCli(['small.png', '-p', 'local', '--scale', '4x', '--json'], { cwd: dir });
    expect(jsonLines(again.stdout)[0]).toMatchObject({ status: 'skipped', output: 'small@4x.png' });
  });

  it('resizes to factors no model has (2.5x) exactly', async () => {
    const run = await runCli(['small.png', '-p', 'local', '--scale', '2.5', '-o', 'out.webp'], { cwd: dir });
    expect(run.code).toBe(0);
    const meta = await sharp(join(dir, 'out.webp')).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['webp', 500, 400]);
  });

  it.each([
    [['--api-key', 'k'], '--api-key does not apply to local'],
    [['--engine', 'sparkle'], '--engine does not apply to local'],
    [['--model', 'huge'], '--model'],
    [['--scale', '64x'], '--scale'],
    [['--scale', '1.05'], 'from 1.1 to 32'],
  ])('refuses %j with exit 2', async (flags, message) => {
    const run = await runCli(['small.png', '-p', 'local', ...flags], { cwd: dir });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(message);
  });
});

/** The compression level a PNG's zlib stream says it was written at (FLEVEL: 0 fastest or none, 2 zlib's default). */
function zlibLevel(png: Buffer): number {
  for (let at = 8; at < png.length; ) {
    const length = png.readUInt32BE(at);
    if (png.toString('latin1', at + 4, at + 8) === 'IDAT') return png[at + 8 + 1]! >> 6;
    at += 12 + length;
  }
  throw new Error('no IDAT');
}

describe('a local PNG output is compressed', () => {
  it('RGB, RGBA and 16-bit grey at 2x: sharp default PNG compression, never the uncompressed intermediate', {
    timeout: 120_000,
  }, async () => {
    // A 16-bit grey ramp (the 2x output: 60 kB of samples).
    const ramp = new Uint16Array(100 * 75).map((_, i) => (i % 100) * 600 + Math.floor(i / 100) * 10);
    await sharp(ramp, { raw: { width: 100, height: 75, channels: 1 } })
      .toColourspace('grey16')
      .png()
      .toFile(join(dir, 'ramp.png'));
    const run = await runCli(['small.png', 'alpha.png', 'ramp.png', '-p', 'local', '--scale', '2x'], {
      cwd: dir,
    });
    expect(run.code).toBe(0);
    for (const [name, channels, depth] of [
      ['small@2x.png', 3, 'uchar'],
      ['alpha@2x.png', 4, 'uchar'],
      ['ramp@2x.png', 1, 'ushort'],
    ] as const) {
      const bytes = await readFile(join(dir, name));
      const meta = await sharp(bytes).metadata();
      expect([name, meta.channels, meta.depth]).toEqual([name, channels, depth]);
      const samples = meta.width! * meta.height! * channels * (depth === 'ushort' ? 2 : 1);
      expect(zlibLevel(bytes), name).toBe(2);
      // The model's 16-bit low bytes hardly compress; 8-bit samples do, plainly.
      if (depth === 'uchar') expect(bytes.length, name).toBeLessThan(samples / 2);
      // What sharp's default PNG settings make of the same pixels (grey kept as 16-bit grey).
      const space = depth === 'ushort' ? 'grey16' : 'srgb';
      const again = await sharp(bytes).toColourspace(space).png().toBuffer();
      expect(Math.abs(bytes.length / again.length - 1), name).toBeLessThan(0.03);
    }
  });
});

describe('refused before any inference (issue 25, Must 5)', () => {
  it('a model that is not added: exit 2 naming add-model, in the run and in --dry-run', async () => {
    for (const extra of [[], ['--dry-run']]) {
      const run = await runCli(['small.png', '-p', 'local', '--model', 'thick', ...extra], { cwd: dir });
      expect(run.code).toBe(2);
      expect(run.stderr).toContain('upscale local add-model thick');
    }
    expect(await readdir(dir)).not.toContain('small@4x.png');
  });

  it.each([
    ['JPEG', 16_400, ['-o', 'out.jpg'], '65,535'],
    ['WebP', 4_100, ['--format', 'webp'], '16,383'],
  ])(
    "an output over %s's size limit: exit 2 at once, naming the limit and --format png",
    async (_, width, flags, limit) => {
      await sharp({ create: { width, height: 6, channels: 3, background: '#808080' } })
        .png()
        .toFile(join(dir, 'strip.png'));
      const run = await runCli(['strip.png', '-p', 'local', '--scale', '4x', '--json', ...flags], {
        cwd: dir,
      });
      expect(run.code).toBe(2);
      expect(run.stderr).toContain(`limit of ${limit} px per side`);
      expect(run.stderr).toContain('--format png');
      // Refused by the pre-check, before any inference (it failed when encoding, after it).
      expect(jsonLines(run.stdout)[0]).toMatchObject({
        status: 'failed',
        error: { code: 'IMAGE_TOO_LARGE' },
      });
      expect((await readdir(dir)).filter((f) => f.startsWith('strip@'))).toEqual([]);
    },
  );
});

describe('format limits for cloud providers', () => {
  const ctx = useEmulator({ processingMs: 50, outputFormat: 'png' });
  it('a WebP output over 16,383 px is refused before sending: exit 2, nothing submitted', async () => {
    await sharp({ create: { width: 4_100, height: 100, channels: 3, background: '#808080' } })
      .png()
      .toFile(join(ctx.dir, 'wide.png'));
    const run = await runCli(
      ['wide.png', '-p', 'freepik', '--scale', '4x', '-o', 'wide.webp', '--poll-interval', '50'],
      {
        cwd: ctx.dir,
        env: emulatorEnv(ctx.emu),
      },
    );
    expect(run.stderr).toContain("WebP's limit of 16,383 px per side");
    expect(run.code).toBe(2);
    expect(ctx.emu.submissions()).toBe(0);
  });
});

describe('grey and 16-bit through the CLI (issue 25, Must 5)', () => {
  it('grey JPEG with EXIF → grey JPEG; 16-bit PNG → 16-bit PNG and 16-bit TIFF', {
    timeout: 120_000,
  }, async () => {
    await sharp(join(IMAGES, 'photo.jpg'))
      .toColourspace('b-w')
      .withExif({ IFD0: { Copyright: 'grey test' } })
      .jpeg()
      .toFile(join(dir, 'grey.jpg'));
    const ramp = new Uint16Array(40 * 30 * 3).map((_, i) => 9_000 + (i % 120) * 411);
    await sharp(ramp, { raw: { width: 40, height: 30, channels: 3 } })
      .toColourspace('rgb16')
      .png()
      .toFile(join(dir, 'deep.png'));
    for (const args of [['grey.jpg'], ['deep.png'], ['deep.png', '-o', 'deep.tiff']]) {
      const run = await runCli([...args, '-p', 'local', '--scale', '2x'], { cwd: dir });
      expect(run.code).toBe(0);
    }
    const grey = await sharp(join(dir, 'grey@2x.jpg')).metadata();
    expect([grey.channels, grey.exif !== undefined]).toEqual([1, true]);
    for (const name of ['deep@2x.png', 'deep.tiff']) {
      const deep = await sharp(join(dir, name)).metadata();
      expect([name, deep.depth, deep.channels, deep.width]).toEqual([name, 'ushort', 3, 80]);
    }
  });
});
