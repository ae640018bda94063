/**
 * Issue 3 end to end: `upscale <input> -p <id>` for every provider, the built CLI against the
 * emulator, checking the request the emulator received (path, fields, auth header) and the file.
 */
import { copyFile, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { beforeEach, describe, expect, it } from 'vitest';
import { emulatorEnv, IMAGES, jsonLines, runCli, useEmulator } from './cli-harness.js';

const ctx = useEmulator({ processingMs: 150 });

const env = () => emulatorEnv(ctx.emu);
const FAST = ['--poll-interval', '50', '--json'];

const submitted = () => {
  const posts = ctx.emu.requests.filter((r) => r.method === 'POST');
  expect(posts).toHaveLength(1);
  const { image, ...fields } = posts[0]!.body as Record<string, unknown>;
  return { request: posts[0]!, image: image as { kind: string; url?: string }, fields };
};

/** The one result line, its file's format and size. */
async function written(stdout: string) {
  const [line, ...rest] = jsonLines(stdout);
  expect(rest).toEqual([]);
  expect(line).toMatchObject({ status: 'succeeded' });
  const output = join(ctx.dir, String(line?.output));
  const meta = await sharp(output).metadata();
  return { line: line!, output, format: meta.format, width: meta.width, height: meta.height };
}

/** Serves a fixture from the emulator's second origin, as a public image URL would be. */
async function staticUrl(name: string): Promise<string> {
  return ctx.emu.addStatic(name, await readFile(join(IMAGES, 'photo.jpg')));
}

beforeEach(async () => {
  await copyFile(join(IMAGES, 'photo.jpg'), join(ctx.dir, 'photo.jpg'));
});

describe('-p freepik-precision', () => {
  it('sends the sliders to the precision endpoint with the Freepik key and writes the result', async () => {
    const run = await runCli(
      ['photo.jpg', '-p', 'freepik-precision', '--sharpen', '60', '--ultra-detail', '0', ...FAST],
      {
        cwd: ctx.dir,
        env: env(),
      },
    );
    expect(run.stderr).not.toContain('error');
    expect(run.code).toBe(0);
    const { request, image, fields } = submitted();
    expect(request.path).toBe('/v1/ai/image-upscaler-precision');
    expect(request.headers['x-freepik-api-key']).toBe(ctx.emu.keys.freepik);
    expect(image.kind).toBe('base64');
    expect(fields).toEqual({ sharpen: 60, ultra_detail: 0 });
    const out = await written(run.stdout);
    expect(out.output).toMatch(/photo@precision\.png$/);
    expect([out.format, out.width, out.height]).toEqual(['png', 640, 480]);
    expect(ctx.emu.submissions('freepik-precision')).toBe(1);
  });

  it('refuses --scale by name and sends nothing', async () => {
    const run = await runCli(['photo.jpg', '-p', 'freepik-precision', '--scale', '2x'], {
      cwd: ctx.dir,
      env: env(),
    });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--scale does not apply to freepik-precision');
    expect(run.stderr).toContain('freepik-precision-v2');
    expect(ctx.emu.requests).toEqual([]);
  });
});

describe('-p freepik-precision-v2', () => {
  it('sends scale_factor as an integer with the flavor, and writes a 3× file', async () => {
    const run = await runCli(
      [
        'photo.jpg',
        '-p',
        'freepik-precision-v2',
        '--scale',
        '3x',
        '--flavor',
        'photo',
        '--smart-grain',
        '9',
        ...FAST,
      ],
      { cwd: ctx.dir, env: env() },
    );
    expect(run.code).toBe(0);
    const { request, image, fields } = submitted();
    expect(request.path).toBe('/v1/ai/image-upscaler-precision-v2');
    expect(request.headers['x-freepik-api-key']).toBe(ctx.emu.keys.freepik);
    expect(image.kind).toBe('base64');
    expect(fields).toEqual({ scale_factor: 3, flavor: 'photo', smart_grain: 9 });
    const out = await written(run.stdout);
    expect(out.output).toMatch(/photo@precision-v2-3x\.png$/);
    expect([out.width, out.height]).toEqual([960, 720]);
  });

  it('passes an image URL through for the provider to fetch', async () => {
    const url = await staticUrl('remote.jpg');
    const run = await runCli([url, '-p', 'freepik-precision-v2', '--scale', '2', ...FAST], {
      cwd: ctx.dir,
      env: env(),
    });
    expect(run.code).toBe(0);
    expect(run.stderr).toContain('http:// inputs are passed on as they are');
    const { image, fields } = submitted();
    expect(image).toMatchObject({ kind: 'url', url });
    expect(fields).toEqual({ scale_factor: 2 });
    const out = await written(run.stdout);
    expect(out.output).toMatch(/remote@precision-v2-2x\.png$/);
    expect([out.width, out.height]).toEqual([640, 480]);
  });

  it('refuses an output over 10,060 px per side before sending, naming the largest scale that fits', async () => {
    await sharp({ create: { width: 1000, height: 800, channels: 3, background: '#468' } })
      .png()
      .toFile(join(ctx.dir, 'big.png'));
    const run = await runCli(['big.png', '-p', 'freepik-precision-v2', '--scale', '11'], {
      cwd: ctx.dir,
      env: env(),
    });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('10060 px per side');
    expect(run.stderr).toContain('--scale 10x');
    expect(ctx.emu.requests).toEqual([]);
  });
});

describe('-p comfy', () => {
  it('sends a Comfy API key as X-API-KEY with no flag, and the creative flags to the proxy', async () => {
    const run = await runCli(['photo.jpg', '-p', 'comfy', '--scale', '2x', '--engine', 'illusio', ...FAST], {
      cwd: ctx.dir,
      env: env(),
    });
    expect(run.code).toBe(0);
    const { request, image, fields } = submitted();
    expect(request.path).toBe('/proxy/freepik/v1/ai/image-upscaler');
    expect(request.headers['x-api-key']).toBe(ctx.emu.keys.comfy);
    expect(request.headers.authorization).toBeUndefined();
    expect(image.kind).toBe('base64');
    expect(fields).toEqual({ scale_factor: '2x', engine: 'magnific_illusio' });
    const out = await written(run.stdout);
    expect([out.format, out.width, out.height]).toEqual(['png', 640, 480]);
    expect(ctx.emu.keyLeaks).toEqual([]);
  });

  it('sends the key as X-API-KEY with --key-header x-api-key, and passes URLs through', async () => {
    const url = await staticUrl('shot.jpg');
    const run = await runCli([url, '-p', 'comfy', '--key-header', 'x-api-key', ...FAST], {
      cwd: ctx.dir,
      env: env(),
    });
    expect(run.code).toBe(0);
    const { request, image } = submitted();
    expect(request.headers['x-api-key']).toBe(ctx.emu.keys.comfy);
    expect(request.headers.authorization).toBeUndefined();
    expect(image).toMatchObject({ kind: 'url', url });
    expect((await written(run.stdout)).output).toMatch(/shot@2x\.png$/);
  });

  it('sends a signed-in JWT as Bearer', async () => {
    const run = await runCli(['photo.jpg', '-p', 'comfy', ...FAST], {
      cwd: ctx.dir,
      env: { ...env(), COMFY_API_KEY: ctx.emu.keys.comfyJwt },
    });
    expect(run.code).toBe(0);
    const { request } = submitted();
    expect(request.headers.authorization).toBe(`Bearer ${ctx.emu.keys.comfyJwt}`);
    expect(request.headers['x-api-key']).toBeUndefined();
  });

  it('after a 401 to the header it chose, tries the provider’s other header once and says which worked', async () => {
    // The old Freepik header refused, the Magnific one taken (the rebrand): no task was created.
    ctx.emu.script('submit', [{ status: 401, body: { message: 'Invalid API key' } }]);
    const run = await runCli(['photo.jpg', '--verbose', ...FAST], { cwd: ctx.dir, env: env() });
    expect(run.code).toBe(0);
    const submits = ctx.emu.requests.filter((r) => r.route === 'submit');
    expect(submits.map((r) => r.status)).toEqual([401, 200]);
    expect(submits[1]?.headers['x-magnific-api-key']).toBe(ctx.emu.keys.freepik);
    expect(ctx.emu.submissions()).toBe(1);
    expect(run.stderr).toMatch(
      /freepik refused the key as x-freepik-api-key and took it as x-magnific-api-key/,
    );
    const forced = await runCli(['photo.jpg', '--overwrite', '--key-header', 'x-freepik-api-key', ...FAST], {
      cwd: ctx.dir,
      env: env(),
    });
    expect(forced.code).toBe(0);
  });

  it('reports 402 as payment required, with a hint to top up', async () => {
    ctx.emu.script('submit', ['billing'], { provider: 'comfy' });
    const run = await runCli(['photo.jpg', '-p', 'comfy', ...FAST], { cwd: ctx.dir, env: env() });
    expect(run.code).toBe(1);
    expect(jsonLines(run.stdout)[0]).toMatchObject({ status: 'failed', error: { code: 'PAYMENT_REQUIRED' } });
    expect(run.stderr).toMatch(/Payment required \(payment_required\)/);
    expect(run.stderr).toContain('top up');
  });

  it('refuses an input under 160 px or beyond 3:1 before sending; --fit upsizes a small one', async () => {
    await copyFile(join(IMAGES, 'tiny.png'), join(ctx.dir, 'tiny.png'));
    await copyFile(join(IMAGES, 'wide.png'), join(ctx.dir, 'wide.png'));
    const small = await runCli(['tiny.png', '-p', 'comfy', ...FAST], { cwd: ctx.dir, env: env() });
    expect(small.code).toBe(2);
    expect(small.stderr).toMatch(/tiny.png is 100×80: under comfy's 160 px minimum side/);
    expect(small.stderr).toMatch(/--fit to send it upsized to 200×160/);
    const wide = await runCli(['wide.png', '-p', 'comfy', ...FAST], { cwd: ctx.dir, env: env() });
    expect(wide.code).toBe(2);
    expect(wide.stderr).toMatch(/aspect ratio of 4.00:1, outside comfy's 1:3–3:1/);
    expect(ctx.emu.requests).toEqual([]);
    const fitted = await runCli(['tiny.png', '-p', 'comfy', '--fit', ...FAST], { cwd: ctx.dir, env: env() });
    expect(fitted.code).toBe(0);
    expect(ctx.emu.tasks[0]?.input).toMatchObject({ width: 200, height: 160 });
  });
});

describe('-p novita', () => {
  it('sends an image URL with resolution and output_format, polls task-result and writes the file', async () => {
    const url = await staticUrl('photo.jpg');
    const run = await runCli([url, '-p', 'novita', '--resolution', '2k', '--format', 'webp', ...FAST], {
      cwd: ctx.dir,
      env: env(),
    });
    expect(run.stderr).not.toContain('error');
    expect(run.code).toBe(0);
    const { request, image, fields } = submitted();
    expect(request.path).toBe('/v3/async/image-upscaler');
    expect(request.headers.authorization).toBe(`Bearer ${ctx.emu.keys.novita}`);
    expect(image).toMatchObject({ kind: 'url', url });
    expect(fields).toEqual({ resolution: '2k', output_format: 'webp' });
    const polls = ctx.emu.requests.filter((r) => r.method === 'GET');
    expect(polls.length).toBeGreaterThan(0);
    expect(polls[0]).toMatchObject({ path: '/v3/async/task-result', query: { task_id: expect.any(String) } });
    const out = await written(run.stdout);
    expect(out.output).toMatch(/photo@2k\.webp$/);
    // The emulator's rule (long side 2048, aspect kept); the CLI itself does not assume one.
    expect([out.format, out.width, out.height]).toEqual(['webp', 2048, 1536]);
    expect(ctx.emu.keyLeaks).toEqual([]);
  });

  it('an empty balance (HTTP 400 BILLING_BALANCE_NOT_ENOUGH) says top up, not "check the flags"', async () => {
    const url = await staticUrl('photo.jpg');
    ctx.emu.script('submit', ['billing'], { provider: 'novita' });
    const run = await runCli([url, '-p', 'novita', '--json', ...FAST], { cwd: ctx.dir, env: env() });
    expect(run.code).toBe(1);
    expect(jsonLines(run.stdout)[0]).toMatchObject({ error: { code: 'PAYMENT_REQUIRED' } });
    expect(run.stderr).toMatch(/Insufficient balance \(BILLING_BALANCE_NOT_ENOUGH\)/);
    expect(run.stderr).toContain('top up');
  });

  it('a wrong key (HTTP 403 INVALID_API_KEY) says where keys come from', async () => {
    const url = await staticUrl('photo.jpg');
    const run = await runCli([url, '-p', 'novita', '--json', ...FAST], {
      cwd: ctx.dir,
      env: { ...env(), NOVITA_API_KEY: 'not-the-key' },
    });
    expect(run.code).toBe(1);
    expect(jsonLines(run.stdout)[0]).toMatchObject({ error: { code: 'AUTH' } });
    expect(run.stderr).toContain('NOVITA_API_KEY');
  });

  it('a failed task answered with HTTP 500 TASK_FAILED is final: no retries, nothing left pending', async () => {
    const url = await staticUrl('photo.jpg');
    ctx.emu.script('outcome', [{ novitaResultError: 'TASK_FAILED', reason: 'the image is too blurry' }]);
    const run = await runCli([url, '-p', 'novita', '--json', ...FAST], { cwd: ctx.dir, env: env() });
    expect(run.code).toBe(1);
    const [line] = jsonLines(run.stdout);
    expect(line).toMatchObject({ error: { code: 'TASK_FAILED' } });
    expect(JSON.stringify(line)).toMatch(/too blurry/);
    const failedPolls = ctx.emu.requests.filter((r) => r.route === 'status' && r.status === 500);
    expect(failedPolls).toHaveLength(1);
    const status = await runCli(['status', '--json'], { cwd: ctx.dir, env: env() });
    expect(status.stdout).toBe('');
  });

  it('refuses a local file with exit 2, saying why and what to do, sending nothing', async () => {
    const run = await runCli(['photo.jpg', '-p', 'novita'], { cwd: ctx.dir, env: env() });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('photo.jpg');
    expect(run.stderr).toContain('accepts only an image URL');
    expect(run.stderr).toContain('https:// URL');
    expect(ctx.emu.requests).toEqual([]);
  });

  it('reports the failure reason Novita gives', async () => {
    ctx.emu.script('outcome', [{ outcome: 'FAILED', reason: 'upscale failed: image unreadable' }], {
      provider: 'novita',
    });
    const run = await runCli([await staticUrl('photo.jpg'), '-p', 'novita', ...FAST], {
      cwd: ctx.dir,
      env: env(),
    });
    expect(run.code).toBe(1);
    expect(jsonLines(run.stdout)[0]).toMatchObject({ status: 'failed', error: { code: 'TASK_FAILED' } });
    expect(run.stderr).toContain('upscale failed: image unreadable');
  });

  it.each([
    [['--engine', 'sparkle'], 'it belongs to freepik, comfy'],
    [['--scale', '4x'], 'use --resolution'],
  ])('exits 2 on %j, naming where the flag belongs', async (flags, text) => {
    const run = await runCli(['photo.jpg', '-p', 'novita', ...flags], { cwd: ctx.dir, env: env() });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(text);
    expect(ctx.emu.requests).toEqual([]);
  });
});

describe('-p magnific', () => {
  it('sends creative to the Magnific root with x-magnific-api-key, reading the Freepik key', async () => {
    const run = await runCli(['photo.jpg', '-p', 'magnific', '--scale', '2x', ...FAST], {
      cwd: ctx.dir,
      env: env(),
    });
    expect(run.code).toBe(0);
    const { request, fields } = submitted();
    expect(request.path).toBe('/v1/ai/image-upscaler');
    expect(request.headers['x-magnific-api-key']).toBe(ctx.emu.keys.freepik);
    expect(request.headers['x-freepik-api-key']).toBeUndefined();
    expect(fields).toEqual({ scale_factor: '2x' });
    expect((await written(run.stdout)).width).toBe(640);
  });

  it('reads MAGNIFIC_API_KEY first for the precision products', async () => {
    const run = await runCli(['photo.jpg', '-p', 'magnific-precision-v2', '--scale', '2', ...FAST], {
      cwd: ctx.dir,
      env: { ...env(), FREEPIK_API_KEY: 'not-this-one', MAGNIFIC_API_KEY: ctx.emu.keys.freepik },
    });
    expect(run.code).toBe(0);
    const { request } = submitted();
    expect(request.path).toBe('/v1/ai/image-upscaler-precision-v2');
    expect(request.headers['x-magnific-api-key']).toBe(ctx.emu.keys.freepik);
  });
});

describe('what the real clients send, and how errors read (issue 13)', () => {
  it('--dry-run shows scale_factor even when --scale is not given; --preset faithful under single flags', async () => {
    const run = await runCli(
      ['photo.jpg', '--dry-run', '--json', '--preset', 'faithful', '--creativity', '2'],
      {
        cwd: ctx.dir,
        env: env(),
      },
    );
    expect(run.code).toBe(0);
    const bodyOf = (stdout: string) =>
      (jsonLines(stdout)[0]?.request as { body?: unknown } | undefined)?.body;
    expect(bodyOf(run.stdout)).toEqual({
      image: expect.stringMatching(/^<base64 of photo.jpg/),
      scale_factor: '2x',
      engine: 'magnific_sharpy',
      creativity: 2,
      resemblance: 10,
    });
    const v2 = await runCli(['photo.jpg', '-p', 'freepik-precision-v2', '--dry-run', '--json'], {
      cwd: ctx.dir,
      env: env(),
    });
    expect(bodyOf(v2.stdout)).toMatchObject({ scale_factor: 2 });
    expect(ctx.emu.requests).toEqual([]);
  });

  it.each([['detail'], ['message'], ['problem-wrapped']])(
    'a refused submit in the %s shape is one readable line with a hint',
    async (shape) => {
      ctx.emu.set({ freepikErrorShape: shape as 'detail' });
      ctx.emu.script('submit', [400]);
      const run = await runCli(['photo.jpg', ...FAST], { cwd: ctx.dir, env: env() });
      ctx.emu.set({ freepikErrorShape: 'problem-flat' });
      expect(run.code).toBe(1);
      const error = jsonLines(run.stdout)[0]?.error as { code: string; message: string; hint: string };
      expect(error.code).toBe('REJECTED');
      expect(error.message).toMatch(/^freepik rejected the submit \(HTTP 400: \S.+\)$/);
      expect(error.message).not.toMatch(/[{}]/);
      expect(error.hint).toMatch(/upscale providers/);
    },
  );
});

describe('-p freepik refuses flags of other providers', () => {
  it.each([
    [['--flavor', 'photo'], 'it belongs to freepik-precision-v2'],
    [['--resolution', '4k'], 'it belongs to novita'],
    [['--sharpen', '5'], 'it belongs to freepik-precision'],
  ])('%j', async (flags, text) => {
    const run = await runCli(['photo.jpg', ...flags], { cwd: ctx.dir, env: env() });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(text);
    expect(ctx.emu.requests).toEqual([]);
  });
});

describe('upscale providers', () => {
  it('prints every provider with its endpoint, key variable, flags and limits', async () => {
    const run = await runCli(['providers'], { cwd: ctx.dir });
    expect(run.code).toBe(0);
    for (const text of [
      'freepik-precision-v2',
      'POST https://api.novita.ai/v3/async/image-upscaler',
      'NOVITA_API_KEY',
      'COMFY_API_KEY',
      'MAGNIFIC_API_KEY',
      '--flavor <flavor>',
      'output ≤ 25.3 MP',
      'output ≤ 10060 px per side',
      'local files are refused',
    ]) {
      expect(run.stdout).toContain(text);
    }
    expect(run.stderr).toBe('');
  });

  it('prints a JSON array with --json, and one provider when named', async () => {
    const all = JSON.parse((await runCli(['providers', '--json'], { cwd: ctx.dir })).stdout) as {
      id: string;
    }[];
    expect(all.map((p) => p.id)).toEqual([
      'freepik',
      'freepik-precision',
      'freepik-precision-v2',
      'comfy',
      'comfy-precision-v2',
      'novita',
      'magnific',
      'magnific-precision',
      'magnific-precision-v2',
      'local',
    ]);
    const run = await runCli(['providers', 'novita', '--json'], { cwd: ctx.dir });
    expect(JSON.parse(run.stdout)).toMatchObject([
      {
        id: 'novita',
        key: { env: ['NOVITA_API_KEY'] },
        inputs: { file: false, url: true },
        flags: [
          { flag: '--resolution <res>', values: '2k|4k|8k', default: '4k' },
          { flag: '--webhook-url <url>' },
        ],
      },
    ]);
  });

  it('exits 2 on an unknown id', async () => {
    const run = await runCli(['providers', 'nope'], { cwd: ctx.dir });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('unknown provider "nope"');
  });
});

it('leaves no temporary files behind', async () => {
  expect((await readdir(ctx.dir)).filter((f) => f.endsWith('.part'))).toEqual([]);
});
