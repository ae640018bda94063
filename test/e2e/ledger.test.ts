/**
 * Issue 11, end to end: the ten ways a batch could pay twice, lose or mix up a paid result, or
 * leave files behind — each against the emulator behaving as the live services were seen to.
 */
import { copyFile, mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { emulatorEnv, IMAGES, jsonLines, runCli, useEmulator } from './cli-harness.js';

const ctx = useEmulator({ processingMs: 100 });

const env = (extra: Record<string, string> = {}) => ({ ...emulatorEnv(ctx.emu), ...extra });
const COMMANDS = new Set(['status', 'resume', 'forget', 'download']);
/** The CLI in the test folder; the main command polls quickly. */
const cli = (args: string[], extra: Record<string, string> = {}) =>
  runCli(COMMANDS.has(args[0]!) ? args : [...args, '--poll-interval', '30'], {
    cwd: ctx.dir,
    env: env(extra),
  });
const requestsTo = (route: string) => ctx.emu.requests.filter((r) => r.route === route);

/** Every file and folder below `root`, relative, hidden ones included. */
async function everything(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  return entries.map((e) => join(e.parentPath, e.name).slice(root.length + 1)).sort();
}

const stray = (names: readonly string[]) =>
  names.filter((n) => n.endsWith('.part') || n.endsWith('.tmp') || n.endsWith('.lock'));
/** Ledger entries still pending (recipes in `.upscale/recipes/` stay with the outputs by design). */
const pending = (names: readonly string[]) =>
  names.filter((n) => /(^|\/)\.upscale\/[^/]+\.(json|lock)$/.test(n));

/** A noisy image; `hue` changes the colours but not the grey levels' layout. */
async function noise(path: string, seed: number, hue = 0, width = 96, height = 64): Promise<void> {
  const data = Buffer.alloc(width * height * 3);
  let x = seed * 2654435761;
  for (let i = 0; i < width * height; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    const v = x >>> 24;
    // Same luminance, different colour: red-heavy or green-heavy.
    const [r, g, b] = hue === 0 ? [v, (v * 0.6) | 0, 40] : [(v * 0.6) | 0, v, 40];
    data.set([r, g, b], i * 3);
  }
  await mkdir(join(path, '..'), { recursive: true });
  await sharp(data, { raw: { width, height, channels: 3 } })
    .png()
    .toFile(path);
}

/** Mean colour distance (0–255) between an output squeezed to its input's size and that input. */
async function distance(output: string, input: string): Promise<number> {
  const meta = await sharp(input).metadata();
  const size = { width: 32, height: 32, fit: 'fill' as const };
  const a = await sharp(output).resize(size).removeAlpha().raw().toBuffer();
  const b = await sharp(input).resize(size).removeAlpha().raw().toBuffer();
  expect(meta.width).toBeGreaterThan(0);
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs(a[i]! - b[i]!);
  return sum / a.length;
}

describe('1, 8: a submit whose answer was lost is never paid twice, and never blocks for good', () => {
  it('without a task list (Comfy): reported uncertain, kept, listed, not re-sent until told', async () => {
    await copyFile(join(IMAGES, 'photo.jpg'), join(ctx.dir, 'photo.jpg'));
    ctx.emu.script('submit', ['create-then-500']);
    const first = await cli(['photo.jpg', '-p', 'comfy', '--json']);
    expect(first.code).toBe(1);
    expect(jsonLines(first.stdout)[0]).toMatchObject({
      status: 'failed',
      error: { code: 'SUBMIT_UNCERTAIN' },
    });
    expect(first.stderr).toMatch(/sent at \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC may have created a task/);
    expect(first.stderr).toMatch(/may pay twice/);
    expect(ctx.emu.submissions()).toBe(1);

    const again = await cli(['photo.jpg', '-p', 'comfy', '--json']);
    expect(again.code).toBe(1);
    expect(jsonLines(again.stdout)[0]).toMatchObject({ error: { code: 'SUBMIT_UNCERTAIN' } });
    expect(ctx.emu.submissions()).toBe(1);

    const status = await cli(['status', '--json']);
    const [pending] = jsonLines(status.stdout);
    expect(pending).toMatchObject({ state: 'uncertain', provider: 'comfy', input: 'photo.jpg' });
    expect(pending).not.toHaveProperty('taskId');
    expect(status.stdout).not.toContain('undefined');

    const forced = await cli(['photo.jpg', '-p', 'comfy', '--json', '--resubmit-uncertain']);
    expect(forced.code).toBe(0);
    expect(ctx.emu.submissions()).toBe(2);
    expect(jsonLines((await cli(['status', '--json'])).stdout)).toEqual([]);
  });

  it('upscale forget <input> drops an uncertain entry; the next run submits anew', async () => {
    await copyFile(join(IMAGES, 'photo.jpg'), join(ctx.dir, 'photo.jpg'));
    ctx.emu.script('submit', ['create-then-html502']);
    const url = ctx.emu.addStatic('p.jpg', await readFile(join(IMAGES, 'photo.jpg')));
    const first = await cli([url, '-p', 'novita', '--json']);
    expect(jsonLines(first.stdout)[0]).toMatchObject({ error: { code: 'SUBMIT_UNCERTAIN' } });
    const forget = await cli(['forget', url]);
    expect(forget.code).toBe(0);
    expect(forget.stderr).toContain('forgot');
    expect(jsonLines((await cli(['status', '--json'])).stdout)).toEqual([]);
    const next = await cli([url, '-p', 'novita', '--json']);
    expect(next.code).toBe(0);
    expect(ctx.emu.submissions()).toBe(2);
  });

  it('a lost answer after the task was created, on a paginated list: found on a later page', async () => {
    ctx.emu.set({ listPageSize: 2 });
    for (let i = 0; i < 5; i++) await noise(join(ctx.dir, `in/n${i}.png`), i + 1);
    // The fifth submit loses its answer: by then the list has three pages.
    ctx.emu.script('submit', [...Array.from({ length: 4 }, () => ({ delayMs: 1 })), 'create-then-not-json']);
    const run = await cli(['in', '-o', 'out', '--json', '--concurrency', '1']);
    expect(run.code).toBe(0);
    expect(ctx.emu.submissions()).toBe(5);
    expect(requestsTo('list').some((r) => (r.query as Record<string, string>).page === '2')).toBe(true);
  });
});

describe('1b: a lost submit is found even when the result is shaped a little differently', () => {
  it('a small input whose sides the provider floors to a multiple of 4: found, not sent again', async () => {
    // 34×16 comes back as 64×32 at 2x: an aspect ratio 6 % off, yet the same picture.
    ctx.emu.set({ outputRounding: 'floor4' });
    await noise(join(ctx.dir, 'small.png'), 7, 0, 34, 16);
    ctx.emu.script('submit', ['create-then-500']);
    const run = await cli(['small.png', '--json']);
    expect(run.code).toBe(0);
    expect(jsonLines(run.stdout)[0]).toMatchObject({ status: 'succeeded', width: 64, height: 32 });
    expect(ctx.emu.submissions()).toBe(1);
  });
});

describe('1c: a lost submit never takes a look-alike task of another shape, nor sends again beside it', () => {
  it('a same-coloured task of another width, sent by another client meanwhile: not collected, the input stays uncertain', async () => {
    // Solid black 24×16 (another client's) and 34×16 (ours): one colour, told apart by shape only.
    ctx.emu.set({ outputRounding: 'floor4' });
    const black = (width: number) =>
      sharp({ create: { width, height: 16, channels: 3, background: '#000' } }).png();
    await black(34).toFile(join(ctx.dir, 'ours.png'));
    const theirs = (await black(24).toBuffer()).toString('base64');
    // Our submit gets a proxy's HTML 502 (nothing created, the answer lost); as it fails, another
    // client of the same key creates its task.
    ctx.emu.script('submit', ['html502']);
    const run = await runCli(['ours.png', '--json', '--poll-interval', '30'], {
      cwd: ctx.dir,
      env: env(),
      onSpawn: () => {
        const timer = setInterval(() => {
          if (requestsTo('submit').length === 0) return;
          clearInterval(timer);
          void fetch(`${ctx.emu.apiUrl}/v1/ai/image-upscaler`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'x-freepik-api-key': ctx.emu.keys.freepik },
            body: JSON.stringify({ image: theirs, scale_factor: '2x' }),
          });
        }, 5);
      },
    });
    // Their task is not ours (another shape), yet nothing proves our submit created none: a
    // creative result can look nothing like its input. Sending again could pay twice.
    const [theirTask] = ctx.emu.tasks;
    expect(run.code).toBe(1);
    expect(jsonLines(run.stdout)[0]).toMatchObject({ status: 'failed', error: { code: 'SUBMIT_UNCERTAIN' } });
    expect(run.stderr).toContain(`candidates: ${theirTask!.id}`);
    expect(run.stderr).toMatch(/upscale forget ours\.png.*--resubmit-uncertain/);
    expect(ctx.emu.submissions()).toBe(1);
    // The user checked the dashboard and says so: sent again, collected.
    const forced = await cli(['ours.png', '--json', '--resubmit-uncertain']);
    expect(forced.code).toBe(0);
    expect(jsonLines(forced.stdout)[0]).toMatchObject({ status: 'succeeded', width: 64, height: 32 });
    expect(ctx.emu.submissions()).toBe(2);
  });
});

describe('2: two runs at once pay once', () => {
  async function twelve(): Promise<void> {
    for (let i = 0; i < 12; i++) await noise(join(ctx.dir, `in/p${i}.png`), 100 + i);
  }

  it.each([
    ['the same config folder', false],
    ['different config folders', true],
  ])('two copies of the same command, %s: one task per input, no -2 files', async (_what, separate) => {
    await twelve();
    ctx.emu.set({ processingMs: 400 });
    const args = ['in', '-o', 'out', '--json', '--concurrency', '4', '--poll-interval', '30'];
    const configs = separate
      ? [join(ctx.dir, 'cfg-a'), join(ctx.dir, 'cfg-b')]
      : [join(ctx.dir, 'cfg'), join(ctx.dir, 'cfg')];
    const runs = await Promise.all(
      configs.map((cfg) => runCli(args, { cwd: ctx.dir, env: env({ UPSCALE_CONFIG_DIR: cfg }) })),
    );
    for (const run of runs) expect(run.stderr.split('\n').filter((l) => /error|failed:/.test(l))).toEqual([]);
    for (const run of runs) expect(run.code).toBe(0);
    expect(ctx.emu.submissions()).toBe(12);
    const out = await everything(join(ctx.dir, 'out'));
    expect(out.filter((n) => /-\d+\.png$/.test(n))).toEqual([]);
    expect(out.filter((n) => n.endsWith('.png'))).toHaveLength(12);
    expect(stray(out)).toEqual([]);
    expect(pending(out)).toEqual([]);
  });
});

describe('2b: two --overwrite runs at once redo each output once', () => {
  it('the second copy finds the output its twin just wrote', async () => {
    for (let i = 0; i < 6; i++) await noise(join(ctx.dir, `in/q${i}.png`), 300 + i);
    const args = ['in', '-o', 'out', '--json', '--concurrency', '3', '--poll-interval', '30'];
    expect((await runCli(args, { cwd: ctx.dir, env: env() })).code).toBe(0);
    expect(ctx.emu.submissions()).toBe(6);
    ctx.emu.set({ processingMs: 400 });
    const again = [...args, '--overwrite'];
    const runs = await Promise.all([0, 1].map(() => runCli(again, { cwd: ctx.dir, env: env() })));
    for (const run of runs) expect(run.code).toBe(0);
    expect(ctx.emu.submissions()).toBe(12);
  });
});

describe('3: recovery never gives an input another input’s result', () => {
  it('same-size images that look alike in grey, all answers lost: each gets its own result', async () => {
    // Pairs with the same grey layout and other colours, and the same size: a grey thumbnail cannot tell them apart.
    for (let i = 0; i < 3; i++) {
      await noise(join(ctx.dir, `in/r${i}.png`), i + 1, 0);
      await noise(join(ctx.dir, `in/g${i}.png`), i + 1, 1);
    }
    ctx.emu.script(
      'submit',
      Array.from({ length: 6 }, () => 'create-then-500'),
    );
    const run = await cli(['in', '-o', 'out', '--json', '--concurrency', '6']);
    expect(ctx.emu.submissions()).toBe(6);
    const lines = jsonLines(run.stdout);
    for (const line of lines.filter((l) => l.status === 'succeeded')) {
      const input = join(ctx.dir, String(line.input));
      expect(await distance(join(ctx.dir, String(line.output)), input)).toBeLessThan(8);
    }
    // Whatever could not be told apart is reported uncertain, never written from a guess.
    for (const line of lines.filter((l) => l.status !== 'succeeded')) {
      expect(line).toMatchObject({ status: 'failed', error: { code: 'SUBMIT_UNCERTAIN' } });
    }
    expect(lines.filter((l) => l.status === 'succeeded').length).toBeGreaterThanOrEqual(4);
  });
});

describe('4: a paid result is never deleted', () => {
  it('sides floored to a multiple of 4 are accepted as they are', async () => {
    // Seen live: 758×647 at 4x gave 3024×2576. On a small input the rounding is well over 1 %.
    ctx.emu.set({ outputRounding: 'floor4' });
    await sharp({ create: { width: 163, height: 123, channels: 3, background: '#a63' } })
      .jpeg()
      .toFile(join(ctx.dir, 'odd.jpg'));
    const run = await cli(['odd.jpg', '--scale', '4x', '--json']);
    expect(run.code).toBe(0);
    expect(jsonLines(run.stdout)[0]).toMatchObject({ status: 'succeeded', width: 640, height: 480 });
    expect(jsonLines(run.stdout)[0]).not.toHaveProperty('warnings');
    const again = await cli(['odd.jpg', '--scale', '4x', '--json']);
    expect(jsonLines(again.stdout)[0]).toMatchObject({ status: 'skipped' });
    expect(ctx.emu.submissions()).toBe(1);
  });

  it('a result of another scale is kept under the final name, with a warning', async () => {
    await copyFile(join(IMAGES, 'photo.jpg'), join(ctx.dir, 'photo.jpg'));
    ctx.emu.script('outcome', [{ scale: 2 }]);
    const run = await cli(['photo.jpg', '-p', 'freepik-precision-v2', '--scale', '4', '--json']);
    expect(run.code).toBe(0);
    const [line] = jsonLines(run.stdout);
    expect(line).toMatchObject({
      status: 'succeeded',
      width: 640,
      height: 480,
      output: 'photo@precision-v2-4x.png',
    });
    expect(line?.warnings).toEqual([expect.objectContaining({ code: 'SIZE_MISMATCH' })]);
    expect(run.stderr).toMatch(/warning: photo.jpg: the result is 640×480, not the expected 1280×960/);
    expect((await stat(join(ctx.dir, 'photo@precision-v2-4x.png'))).size).toBeGreaterThan(0);
    const again = await cli(['photo.jpg', '-p', 'freepik-precision-v2', '--scale', '4', '--json']);
    expect(jsonLines(again.stdout)[0]).toMatchObject({ status: 'skipped' });
    expect(ctx.emu.submissions()).toBe(1);
  });
});

describe('5: an empty completion is asked again, never paid again', () => {
  it('COMPLETED with no image, filled a moment later: collected with one submission', async () => {
    await copyFile(join(IMAGES, 'photo.jpg'), join(ctx.dir, 'photo.jpg'));
    ctx.emu.script('outcome', [{ emptyForMs: 1200 }]);
    const run = await cli(['photo.jpg', '-p', 'freepik-precision', '--json']);
    expect(run.code).toBe(0);
    expect(jsonLines(run.stdout)[0]).toMatchObject({ status: 'succeeded' });
    expect(ctx.emu.submissions()).toBe(1);
  });

  it('never filled within --timeout: EMPTY_RESULT, the task kept; the next run polls it, not submits', async () => {
    await copyFile(join(IMAGES, 'photo.jpg'), join(ctx.dir, 'photo.jpg'));
    ctx.emu.script('outcome', [{ emptyForMs: 4000 }]);
    const first = await cli(['photo.jpg', '-p', 'freepik-precision', '--json', '--timeout', '1']);
    expect(first.code).toBe(1);
    const [line] = jsonLines(first.stdout);
    expect(line).toMatchObject({ status: 'failed', error: { code: 'EMPTY_RESULT' } });
    expect(jsonLines((await cli(['status', '--json'])).stdout)).toEqual([
      expect.objectContaining({ taskId: line?.taskId, state: 'submitted' }),
    ]);
    await new Promise((r) => setTimeout(r, 3200));
    const second = await cli(['photo.jpg', '-p', 'freepik-precision', '--json']);
    expect(second.code).toBe(0);
    expect(ctx.emu.submissions()).toBe(1);
  });

  it('CANCELED is final: the input fails, nothing stays pending', async () => {
    await copyFile(join(IMAGES, 'photo.jpg'), join(ctx.dir, 'photo.jpg'));
    ctx.emu.script('outcome', ['CANCELED']);
    const run = await cli(['photo.jpg', '--json']);
    expect(run.code).toBe(1);
    expect(jsonLines(run.stdout)[0]).toMatchObject({ error: { code: 'TASK_FAILED' } });
    expect(jsonLines((await cli(['status', '--json'])).stdout)).toEqual([]);
  });
});

describe('6: --format keep is decided from the content, for the skip check and the writer alike', () => {
  it('a PNG named .jpg is upscaled once, then skipped', async () => {
    await sharp({ create: { width: 64, height: 48, channels: 3, background: '#29c' } })
      .png()
      .toFile(join(ctx.dir, 'fake.jpg'));
    const first = await cli(['fake.jpg', '--format', 'keep', '--json']);
    expect(first.code).toBe(0);
    expect(jsonLines(first.stdout)[0]).toMatchObject({ status: 'succeeded', output: 'fake@2x.png' });
    const second = await cli(['fake.jpg', '--format', 'keep', '--json']);
    expect(jsonLines(second.stdout)[0]).toMatchObject({ status: 'skipped', output: 'fake@2x.png' });
    expect(ctx.emu.submissions()).toBe(1);
  });
});

describe('7: kill -9 leaves nothing behind that the next run does not clean', () => {
  it('killed mid-download: the next run removes the dead run’s temp files and collects the task', async () => {
    await copyFile(join(IMAGES, 'photo.jpg'), join(ctx.dir, 'photo.jpg'));
    ctx.emu.set({ trickleMs: 100 });
    ctx.emu.script('download', ['trickle']);
    const killed = await runCli(['photo.jpg', '--poll-interval', '30'], {
      cwd: ctx.dir,
      env: env(),
      onSpawn: (child) => {
        const timer = setInterval(async () => {
          const names = await readdir(ctx.dir);
          if (names.some((n) => n.endsWith('.part'))) {
            clearInterval(timer);
            child.kill('SIGKILL');
          }
        }, 20);
      },
    });
    expect(killed.signal).toBe('SIGKILL');
    expect(stray(await everything(ctx.dir))).not.toEqual([]);
    const rerun = await cli(['photo.jpg', '--json']);
    expect(rerun.code).toBe(0);
    expect(ctx.emu.submissions()).toBe(1);
    expect(stray(await everything(ctx.dir))).toEqual([]);
    expect(pending(await everything(ctx.dir))).toEqual([]);
    const resume = await cli(['resume', '--json']);
    expect(resume.stdout).toBe('');
    expect((await readdir(ctx.dir)).filter((n) => n.startsWith('photo@'))).toEqual(['photo@2x.png']);
  });
});

describe('a task with several results (`generated` is a list)', () => {
  const results = async () => (await readdir(ctx.dir)).filter((n) => n.startsWith('photo@')).sort();
  const downloadsOf = (url: string) =>
    ctx.emu.cdnRequests.filter((r) => r.route === 'download' && url.endsWith(r.path)).length;

  it('writes every result, the later ones numbered', async () => {
    await copyFile(join(IMAGES, 'photo.jpg'), join(ctx.dir, 'photo.jpg'));
    ctx.emu.script('outcome', [{ results: 2 }]);
    const run = await cli(['photo.jpg', '--json']);
    expect(run.code).toBe(0);
    expect(await results()).toEqual(['photo@2x-2.png', 'photo@2x.png']);
    expect(pending(await everything(ctx.dir))).toEqual([]);
  });

  it('killed between two results: the next run writes only the missing one, without a new task', async () => {
    await copyFile(join(IMAGES, 'photo.jpg'), join(ctx.dir, 'photo.jpg'));
    ctx.emu.script('outcome', [{ results: 2 }]);
    // The first download answers normally, the second stalls until the run is killed.
    ctx.emu.script('download', [{ delayMs: 0 }, 'stall']);
    const killed = await runCli(['photo.jpg', '--poll-interval', '30'], {
      cwd: ctx.dir,
      env: env(),
      onSpawn: (child) => {
        const timer = setInterval(async () => {
          const stalled = ctx.emu.cdnRequests.filter((r) => r.route === 'download').length >= 2;
          if (stalled && (await results()).length === 1) {
            clearInterval(timer);
            child.kill('SIGKILL');
          }
        }, 20);
        child.on('exit', () => clearInterval(timer));
      },
    });
    expect(killed.signal).toBe('SIGKILL');
    expect(await results()).toEqual(['photo@2x.png']);
    const rerun = await cli(['photo.jpg', '--json']);
    expect(rerun.code).toBe(0);
    // The result line names the first result, written by the killed run.
    expect(jsonLines(rerun.stdout)[0]).toMatchObject({ status: 'succeeded', output: 'photo@2x.png' });
    expect(ctx.emu.submissions()).toBe(1);
    expect(await results()).toEqual(['photo@2x-2.png', 'photo@2x.png']);
    const [task] = ctx.emu.tasks;
    expect(downloadsOf(task!.fileUrl)).toBe(1);
    expect(pending(await everything(ctx.dir))).toEqual([]);
    expect(stray(await everything(ctx.dir))).toEqual([]);
  });
});

describe('9: an output folder that cannot be written is refused before paying', () => {
  it('exit 2, nothing sent', async () => {
    await copyFile(join(IMAGES, 'photo.jpg'), join(ctx.dir, 'photo.jpg'));
    // Writing inside /proc fails even for root (CI may run as root, where permissions do not).
    const run = await cli(['photo.jpg', '-o', '/proc']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/-o \/proc: cannot write into \/proc/);
    expect(ctx.emu.requests).toEqual([]);
  });

  it('a file where the ledger folder goes is refused the same way', async () => {
    await copyFile(join(IMAGES, 'photo.jpg'), join(ctx.dir, 'photo.jpg'));
    await mkdir(join(ctx.dir, 'out'));
    await writeFile(join(ctx.dir, 'out', '.upscale'), 'not a folder');
    const run = await cli(['photo.jpg', '-o', 'out']);
    expect(run.code).toBe(2);
    expect(ctx.emu.requests).toEqual([]);
  });
});

describe('10: downloads end, and a broken one says so plainly', () => {
  it('a server that trickles one byte at a time is cut at --timeout; the next run collects', async () => {
    await copyFile(join(IMAGES, 'photo.jpg'), join(ctx.dir, 'photo.jpg'));
    ctx.emu.set({ trickleMs: 2000 });
    ctx.emu.script('download', ['trickle']);
    const started = Date.now();
    const first = await cli(['photo.jpg', '--json', '--timeout', '2']);
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(first.code).toBe(1);
    expect(jsonLines(first.stdout)[0]).toMatchObject({ error: { code: 'DOWNLOAD' } });
    expect(first.stderr).toMatch(/took longer than 2 s/);
    const second = await cli(['photo.jpg', '--json']);
    expect(second.code).toBe(0);
    expect(ctx.emu.submissions()).toBe(1);
  });

  it('a body cut short without Content-Length is retried; when it never arrives whole, kept as .invalid', async () => {
    await copyFile(join(IMAGES, 'photo.jpg'), join(ctx.dir, 'photo.jpg'));
    ctx.emu.script(
      'download',
      Array.from({ length: 8 }, () => 'truncate-close'),
    );
    const first = await cli(['photo.jpg', '--json']);
    expect(first.code).toBe(1);
    const [line] = jsonLines(first.stdout);
    expect(line).toMatchObject({ status: 'failed', error: { code: 'DOWNLOAD' } });
    expect(JSON.stringify(line?.error)).toMatch(
      /does not decode as an image.*kept as \.upscale\/invalid\/photo@2x\.invalid\.png/,
    );
    expect(first.stderr).not.toMatch(/vips|libpng/);
    // Kept under .upscale/ (issue 23, item 19): not beside the outputs, where a glob would ship it.
    expect(await readdir(join(ctx.dir, '.upscale', 'invalid'))).toContain('photo@2x.invalid.png');
    const second = await cli(['photo.jpg', '--json']);
    expect(second.code).toBe(0);
    expect(jsonLines(second.stdout)[0]).toMatchObject({ status: 'succeeded', output: 'photo@2x.png' });
    expect((await everything(ctx.dir)).filter((n) => n.includes('.invalid.'))).toEqual([]);
    expect(ctx.emu.submissions()).toBe(1);
  }, 90_000);
});

describe('a pending task of another recipe on the same output', () => {
  it('is neither collected as this input’s result nor paid again; resume collects it', async () => {
    await copyFile(join(IMAGES, 'photo.jpg'), join(ctx.dir, 'photo.jpg'));
    ctx.emu.set({ processingMs: 2500 });
    const first = await cli(['photo.jpg', '--json', '--timeout', '0.3']);
    expect(jsonLines(first.stdout)[0]).toMatchObject({ error: { code: 'TIMEOUT' } });
    ctx.emu.set({ processingMs: 100 });
    const other = await cli(['photo.jpg', '--engine', 'sparkle', '--json']);
    expect(other.code).toBe(1);
    expect(jsonLines(other.stdout)[0]).toMatchObject({ error: { code: 'LEDGER_CONFLICT' } });
    expect(other.stderr).toMatch(/upscale resume/);
    expect(ctx.emu.submissions()).toBe(1);
    const resume = await cli(['resume', '--json', '--concurrency', '2']);
    expect(resume.code).toBe(0);
    expect(jsonLines(resume.stdout)[0]).toMatchObject({
      status: 'succeeded',
      output: join(ctx.dir, 'photo@2x.png'),
    });
    expect(ctx.emu.submissions()).toBe(1);
  });
});
