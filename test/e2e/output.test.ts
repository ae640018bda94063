/**
 * Issue 6 end to end, the built CLI against the emulator (whose results drop EXIF and ICC and are
 * NOT turned upright): the file the user gets (format, tags, profile, orientation, alpha, size),
 * the price printed before paying, --max-cost, --fit, --width, and webhook signatures.
 */
import { copyFile, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { beforeEach, describe, expect, it } from 'vitest';
import { tagsOf, viewerDistance } from '../image/viewer.js';
import { emulatorEnv, IMAGES, jsonLines, runCli, useEmulator } from './cli-harness.js';

const ctx = useEmulator({ processingMs: 100, outputFormat: 'png' });

const env = () => emulatorEnv(ctx.emu);
const FAST = ['--poll-interval', '50', '--json'];
const cli = (args: string[]) => runCli([...args, ...FAST], { cwd: ctx.dir, env: env() });

beforeEach(async () => {
  for (const name of ['photo.jpg', 'phone-p3.jpg', 'alpha.png', 'wide.png']) {
    await copyFile(join(IMAGES, name), join(ctx.dir, name));
  }
});

describe('a phone JPEG (orientation 6, GPS, date, camera, Display P3, XMP, IPTC) through every provider', () => {
  const PHONE = join(IMAGES, 'phone-p3.jpg');
  const cases: [string, string[]][] = [
    ['freepik', ['--scale', '2x']],
    ['freepik-precision', []],
    ['freepik-precision-v2', ['--scale', '2']],
    ['comfy', ['--scale', '2x']],
    ['comfy-precision-v2', ['--scale', '2']],
    ['magnific', ['--scale', '2x']],
    ['magnific-precision', []],
    ['magnific-precision-v2', ['--scale', '2']],
    ['novita', ['--resolution', '2k']],
    ['local', ['--scale', '2x']],
  ];

  it.each(cases)(
    '-p %s: an upscaled JPEG, upright, with the same tags and profile',
    async (provider, flags) => {
      // The providers answer in JPEG, as the real ones do (Novita's default output_format).
      ctx.emu.set({ outputFormat: 'jpeg' });
      const input =
        provider === 'novita' ? ctx.emu.addStatic('phone-p3.jpg', await readFile(PHONE)) : 'phone-p3.jpg';
      const run = await cli([input, '-p', provider, ...flags]);
      expect(run.stderr).not.toMatch(/error|failed/);
      expect(run.code).toBe(0);
      const output = join(ctx.dir, String(jsonLines(run.stdout)[0]!.output));
      expect(output).toMatch(/\.jpg$/);
      const input0 = await tagsOf(PHONE);
      const { meta, exif } = await tagsOf(output);
      // Stored 240×160 and shown 160×240: the output is written upright, portrait, orientation 1.
      expect(meta.format).toBe('jpeg');
      expect(meta.height!).toBeGreaterThan(meta.width!);
      expect(meta.orientation ?? 1).toBe(1);
      expect(meta.icc?.equals(input0.meta.icc!)).toBe(true);
      expect(exif?.GPSInfo).toEqual(input0.exif?.GPSInfo);
      expect(exif?.Image?.Make).toBe('UpscaleTest');
      expect(exif?.Image?.Model).toBe('Phone P3');
      expect(exif?.Photo?.DateTimeOriginal).toEqual(new Date('2024-05-01T10:20:30Z'));
      expect(meta.xmpAsString).toContain('Upscale Tester');
      expect(meta.iptc?.toString('latin1')).toContain('Eiffel Tower at dawn');
      expect(await viewerDistance(output, PHONE)).toBeLessThan(5);
    },
  );

  it('--format keep turns a PNG result back into a JPEG; --strip-metadata drops every tag', async () => {
    const kept = await cli(['phone-p3.jpg', '--format', 'keep']);
    expect(jsonLines(kept.stdout)[0]).toMatchObject({ status: 'succeeded', output: 'phone-p3@2x.jpg' });
    const stripped = await cli(['phone-p3.jpg', '--format', 'webp', '--strip-metadata', '--quality', '80']);
    const output = join(ctx.dir, 'phone-p3@2x.webp');
    expect(jsonLines(stripped.stdout)[0]).toMatchObject({
      output: 'phone-p3@2x.webp',
      width: 320,
      height: 480,
    });
    const { meta } = await tagsOf(output);
    expect([meta.format, meta.exif, meta.icc, meta.xmp, meta.orientation]).toEqual([
      'webp',
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
    // No profile left, so the pixels are sRGB: a viewer still shows the same colours, upright.
    expect(await viewerDistance(output, PHONE)).toBeLessThan(5);
  });
});

describe('--format and the names of outputs', () => {
  it('names the output by the asked format; a re-run skips it, another format does not', async () => {
    const first = await cli(['photo.jpg', '--format', 'webp']);
    expect(jsonLines(first.stdout)[0]).toMatchObject({ status: 'succeeded', output: 'photo@2x.webp' });
    expect((await sharp(join(ctx.dir, 'photo@2x.webp')).metadata()).format).toBe('webp');
    const again = await cli(['photo.jpg', '--format', 'webp']);
    expect(jsonLines(again.stdout)[0]).toMatchObject({ status: 'skipped', output: 'photo@2x.webp' });
    const other = await cli(['photo.jpg', '--format', 'avif']);
    expect(jsonLines(other.stdout)[0]).toMatchObject({ status: 'succeeded', output: 'photo@2x.avif' });
    expect(ctx.emu.submissions()).toBe(2);
  });

  it('asks Novita for the format instead of converting, and converts what it cannot encode', async () => {
    const url = ctx.emu.addStatic('shot.jpg', await readFile(join(IMAGES, 'photo.jpg')));
    const png = await cli([url, '-p', 'novita', '--format', 'png', '--resolution', '2k']);
    expect(jsonLines(png.stdout)[0]).toMatchObject({ status: 'succeeded', output: 'shot@2k.png' });
    const tiff = await cli([url, '-p', 'novita', '--format', 'tiff', '--resolution', '2k']);
    expect(jsonLines(tiff.stdout)[0]).toMatchObject({ status: 'succeeded', output: 'shot@2k.tiff' });
    expect((await sharp(join(ctx.dir, 'shot@2k.tiff')).metadata()).format).toBe('tiff');
    const bodies = ctx.emu.requests
      .filter((r) => r.method === 'POST')
      .map((r) => r.body as Record<string, unknown>);
    expect(bodies.map((b) => b.output_format)).toEqual(['png', undefined]);
  });

  it('refuses -o with another extension than --format, sending nothing', async () => {
    const run = await cli(['photo.jpg', '-o', 'big.png', '--format', 'jpeg']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('-o big.png names a png file, but --format asks for jpeg');
    expect(ctx.emu.submissions()).toBe(0);
  });
});

describe('upscale resume', () => {
  it('finishes a journaled task the way its run asked (--format, metadata, orientation)', async () => {
    ctx.emu.script('outcome', [{ processingMs: 1500 }]);
    const first = await cli(['phone-p3.jpg', '--format', 'webp', '--timeout', '0.3']);
    expect(jsonLines(first.stdout)[0]).toMatchObject({ status: 'failed', error: { code: 'TIMEOUT' } });
    await new Promise((r) => setTimeout(r, 1500));
    const resumed = await runCli(['resume', '--json'], { cwd: ctx.dir, env: env() });
    expect(resumed.code).toBe(0);
    const output = String(jsonLines(resumed.stdout)[0]!.output);
    expect(output).toMatch(/phone-p3@2x\.webp$/);
    const { meta, exif } = await tagsOf(output);
    expect([meta.format, meta.width, meta.height]).toEqual(['webp', 320, 480]);
    expect(exif?.GPSInfo?.GPSLatitude).toEqual([48, 51, 29.64]);
    expect(ctx.emu.submissions()).toBe(1);
  });
});

describe('transparency', () => {
  it('keeps alpha in PNG; flattens on --background for JPEG and says so once', async () => {
    await copyFile(join(IMAGES, 'alpha.png'), join(ctx.dir, 'alpha2.png'));
    const png = await cli(['alpha.png']);
    expect(jsonLines(png.stdout)[0]).toMatchObject({ status: 'succeeded', output: 'alpha@2x.png' });
    expect((await sharp(join(ctx.dir, 'alpha@2x.png')).metadata()).hasAlpha).toBe(true);
    const jpeg = await cli([
      'alpha.png',
      'alpha2.png',
      '--format',
      'jpeg',
      '--background',
      '#0000ff',
      '--overwrite',
    ]);
    expect(jsonLines(jpeg.stdout).map((l) => l.status)).toEqual(['succeeded', 'succeeded']);
    expect(jpeg.stderr.match(/no transparency: flattened on #0000ff/g)).toHaveLength(1);
    const corner = await sharp(join(ctx.dir, 'alpha@2x.jpg'))
      .extract({ left: 0, top: 0, width: 1, height: 1 })
      .raw()
      .toBuffer();
    expect([...corner].map((v) => Math.round(v / 16))).toEqual([0, 0, 16]);
  });
});

describe('--dry-run and the price', () => {
  beforeEach(async () => {
    // 1400×1000 = 1.4 MP: the second tier on its first step.
    await sharp({ create: { width: 1400, height: 1000, channels: 3, background: '#789' } })
      .jpeg()
      .toFile(join(ctx.dir, 'big.jpg'));
  });

  it('prints per input the check, request, sizes and estimate, and the total that the tier table gives by hand', async () => {
    const run = await runCli(['.', '--scale', '4x', '--dry-run', '--json'], { cwd: ctx.dir, env: env() });
    expect(run.code).toBe(0);
    const lines = jsonLines(run.stdout);
    const byInput = Object.fromEntries(lines.map((l) => [l.input, l]));
    // 4x = two 2× steps, each priced by the megapixels it reads:
    // big.jpg 1.4 MP → €0.286, then 5.6 MP → €0.429; every small one 2 × €0.143.
    expect(byInput['big.jpg']).toMatchObject({
      status: 'planned',
      inputSize: { width: 1400, height: 1000 },
      expected: { width: 5600, height: 4000 },
      cost: { amount: 0.715, currency: 'EUR' },
      request: { method: 'POST', path: '/v1/ai/image-upscaler', body: { scale_factor: '4x' } },
    });
    expect(byInput['photo.jpg']).toMatchObject({ cost: { amount: 0.286 } });
    expect(byInput['wide.png']).toMatchObject({ cost: { amount: 0.286 } });
    expect(
      String((byInput['photo.jpg'] as { request: { body: { image: string } } }).request.body.image),
    ).toMatch(/^<base64 of photo\.jpg, \d+ bytes>$/);
    // 0.715 + 4 × 0.286 = 1.859
    expect(run.stderr).toContain('estimated cost: €1.859 for 5 inputs');
    expect(ctx.emu.requests).toEqual([]);
  });

  it('prints the same human lines without --json, stdout empty', async () => {
    const run = await runCli(['big.jpg', '--scale', '2x', '--dry-run'], { cwd: ctx.dir, env: env() });
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain(
      "big.jpg: ok, 1400×1000 → 2800×2000, ≈ €0.286 (1 × 2× step at Comfy's prices, a guide: Freepik bills its own plan, not these prices)",
    );
    expect(run.stderr).toContain('would send {"method":"POST","path":"/v1/ai/image-upscaler"');
    expect(run.stderr).toContain('estimated cost: €0.286 for 1 input');
  });

  it('--max-cost refuses a run whose estimate is above it (exit 2, nothing sent), and runs one below', async () => {
    const over = await runCli(['big.jpg', 'photo.jpg', '--scale', '4x', '--max-cost', '1'], {
      cwd: ctx.dir,
      env: env(),
    });
    expect(over.code).toBe(2);
    expect(over.stderr).toContain(
      'the estimated cost, €1.001 for 2 inputs, is over --max-cost €1.000; nothing was sent',
    );
    expect(ctx.emu.submissions()).toBe(0);
    const under = await cli(['photo.jpg', '--scale', '4x', '--max-cost', '0.30']);
    expect(under.code).toBe(0);
    expect(under.stderr).toContain('estimated cost €0.286 for 1 input, within --max-cost');
    expect(ctx.emu.submissions()).toBe(1);
  });

  it('--max-cost refuses a provider whose price is unknown', async () => {
    const url = ctx.emu.addStatic('shot.jpg', await readFile(join(IMAGES, 'photo.jpg')));
    const run = await cli([url, '-p', 'novita', '--max-cost', '5']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('cannot be checked: 1 input(s) have no known price on novita');
    expect(ctx.emu.submissions()).toBe(0);
  });
});

describe('--fit and --width', () => {
  it('refuses an output over the limit, naming --fit; with --fit sends the input downscaled just enough', async () => {
    const refused = await cli(['wide.png', '--scale', '16x']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('pass --fit to send it downscaled to 628×157');
    const fitted = await cli(['wide.png', '--scale', '16x', '--fit']);
    expect(fitted.code).toBe(0);
    expect(ctx.emu.tasks[0]!.input).toMatchObject({ width: 628, height: 157 });
    expect(jsonLines(fitted.stdout)[0]).toMatchObject({ width: 10048, height: 2512 });
    expect(10048 * 2512).toBeLessThanOrEqual(25_300_000);
  });

  it('--width picks the smallest scale that reaches it, then resizes down exactly', async () => {
    const run = await cli(['photo.jpg', '--width', '1000']);
    expect(run.code).toBe(0);
    expect(
      (ctx.emu.requests.find((r) => r.method === 'POST')!.body as Record<string, unknown>).scale_factor,
    ).toBe('4x');
    expect(jsonLines(run.stdout)[0]).toMatchObject({ output: 'photo@w1000.png', width: 1000, height: 750 });
  });
});

describe('upscale webhook verify', () => {
  it('accepts the emulator’s signed calls (secret whsec_test) and refuses a changed body', async () => {
    const run = await cli(['photo.jpg', '--webhook-url', 'https://127.0.0.1:9/hook']);
    expect(run.code).toBe(0);
    const call = ctx.emu.webhooks.find((w) => w.headers['webhook-signature'])!;
    await writeFile(join(ctx.dir, 'body.json'), call.body);
    await writeFile(join(ctx.dir, 'forged.json'), call.body.replace('"status":"', '"status":"X'));
    const args = (file: string) => [
      'webhook',
      'verify',
      '--secret',
      'whsec_test',
      '--id',
      call.headers['webhook-id']!,
      '--timestamp',
      call.headers['webhook-timestamp']!,
      '--signature',
      call.headers['webhook-signature']!,
      file,
    ];
    const valid = await runCli(args('body.json'), { cwd: ctx.dir });
    expect([valid.code, valid.stderr]).toEqual([0, 'valid: the signature matches\n']);
    const piped = await runCli(args('-'), { cwd: ctx.dir, stdin: call.body });
    expect(piped.code).toBe(0);
    const forged = await runCli([...args('forged.json'), '--json'], { cwd: ctx.dir });
    expect(forged.code).toBe(1);
    expect(JSON.parse(forged.stdout)).toEqual({
      valid: false,
      reason: 'no signature entry matches the secret',
    });
    const missing = await runCli(['webhook', 'verify', 'body.json'], { cwd: ctx.dir });
    expect(missing.code).toBe(2);
  });
});

it('leaves no temporary files behind', async () => {
  expect((await readdir(ctx.dir)).filter((f) => f.endsWith('.part') || f.endsWith('.icc'))).toEqual([]);
});
