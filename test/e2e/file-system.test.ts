/**
 * Issue 23, the ledger, the output folder and the file system (items 1, 2, 4, 5, 7, 8, 9, 11, 17,
 * 19): a disk that fills up or runs out of open files while recording, entries that cannot be
 * read, two inputs or two spellings of one output, outputs found as inputs, file systems without
 * hard links, inputs edited while their task runs, folders that are not mounted, undecodable
 * results. Nothing paid is deleted, nothing is paid twice, and each failure names its file.
 *
 * A full disk is a real one where the test runs as root (a small tmpfs); the other file-system
 * faults go through the preload test/e2e/fs-faults.mjs.
 */
import { execFileSync } from 'node:child_process';
import {
  appendFile,
  copyFile,
  mkdir,
  readdir,
  readFile,
  rename,
  rm,
  stat,
  writeFile,
} from 'node:fs/promises';
import { join, resolve } from 'node:path';
import sharp from 'sharp';
import { afterEach, describe, expect, it } from 'vitest';
import {
  BIN,
  emulatorEnv,
  IMAGES,
  jsonLines,
  runCli,
  scrubbedEnv,
  spawnCollect,
  useEmulator,
  writePngs,
} from './cli-harness.js';

const ctx = useEmulator({ processingMs: 100 });

const FAULTS = resolve(import.meta.dirname, 'fs-faults.mjs');
const COMMANDS = new Set(['status', 'resume', 'forget', 'download']);

interface Fault {
  readonly op: string;
  readonly path: string;
  readonly code: string;
  readonly skip?: number;
  readonly times?: number;
}

/** The CLI in `cwd` (the test folder by default); the main command polls quickly. */
function cli(args: string[], options: { faults?: Fault[]; env?: Record<string, string>; cwd?: string } = {}) {
  const env: Record<string, string> = { ...emulatorEnv(ctx.emu), ...options.env };
  if (options.faults) {
    env.NODE_OPTIONS = `--import=${FAULTS}`;
    env.FS_FAULTS = JSON.stringify(options.faults);
  }
  return runCli(COMMANDS.has(args[0]!) ? args : [...args, '--poll-interval', '30'], {
    cwd: options.cwd ?? ctx.dir,
    env,
  });
}

/** Every file and folder below `root`, relative, hidden ones included. */
async function everything(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  return entries.map((e) => join(e.parentPath, e.name).slice(root.length + 1)).sort();
}

const entryFiles = (names: readonly string[]) =>
  names.filter((n) => /(^|\/)\.upscale\/[0-9a-f]+\.json$/.test(n));
const locks = (names: readonly string[]) => names.filter((n) => n.endsWith('.lock'));

async function photo(name = 'photo.jpg', source = 'photo.jpg'): Promise<string> {
  const path = join(ctx.dir, name);
  await mkdir(join(path, '..'), { recursive: true });
  await copyFile(join(IMAGES, source), path);
  return path;
}

/** A small noisy PNG of its own (seeded): each seed is another picture. */
async function picture(path: string, seed: number, width = 96, height = 64): Promise<void> {
  const data = Buffer.alloc(width * height * 3);
  let x = seed * 2654435761;
  for (let i = 0; i < data.length; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    data[i] = x >>> 24;
  }
  await mkdir(join(path, '..'), { recursive: true });
  await sharp(data, { raw: { width, height, channels: 3 } })
    .png()
    .toFile(path);
}

async function until(check: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 10));
  }
}

const mounted: string[] = [];
afterEach(async () => {
  for (const dir of mounted.splice(0)) execFileSync('umount', ['-l', dir]);
});

/**
 * A tmpfs of `size` at `dir`, or undefined (with the reason printed) where the test cannot mount
 * one (not root, no CAP_SYS_ADMIN, not Linux).
 */
async function smallDisk(dir: string, size: string): Promise<string | undefined> {
  if (process.platform !== 'linux' || process.getuid?.() !== 0) {
    console.log(`skipped: a real full disk needs root on Linux to mount a tmpfs (${dir})`);
    return undefined;
  }
  await mkdir(dir, { recursive: true });
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { stdio: 'pipe' });
  } catch (error) {
    console.log(`skipped: cannot mount a tmpfs here (${String(error).split('\n')[0]})`);
    return undefined;
  }
  mounted.push(dir);
  return dir;
}

/** Fills the file system of `dir` to the last page, in `filler`. */
async function fill(filler: string): Promise<void> {
  for (const chunk of [1 << 16, 1 << 12]) {
    const block = Buffer.alloc(chunk);
    for (;;) {
      try {
        await appendFile(filler, block);
      } catch {
        break;
      }
    }
  }
}

describe('1: a ledger write that fails after the provider answered keeps the entry', () => {
  it('a disk that fills up while the submit is on the wire: the entry stays, the next run pays nothing', async (test) => {
    const disk = await smallDisk(join(ctx.dir, 'disk'), '8m');
    if (!disk) return test.skip();
    await photo();
    const out = join(disk, 'out');
    ctx.emu.script('submit', [{ delayMs: 1500 }]);
    const running = cli(['photo.jpg', '-o', out, '--json']);
    // The submit has arrived (the `submitting` entry is written): the disk fills before the answer.
    await until(() => ctx.emu.requests.some((r) => r.route === 'submit'));
    await fill(join(disk, 'filler'));
    const first = await running;
    expect(first.code).toBe(1);
    const [line] = jsonLines(first.stdout);
    expect(line).toMatchObject({ status: 'failed', error: { code: 'OUTPUT_UNWRITABLE' } });
    expect(first.stderr).not.toMatch(/this is a bug/);
    const taskId = ctx.emu.tasks[0]!.id;
    expect(first.stderr).toContain(taskId);
    expect(first.stderr).toContain(join(out, '.upscale'));
    expect(first.stderr).toMatch(/no space left|disk is full/);
    expect(entryFiles(await everything(out))).toHaveLength(1);

    await rm(join(disk, 'filler'));
    const second = await cli(['photo.jpg', '-o', out, '--json']);
    expect(jsonLines(second.stdout)[0]).toMatchObject({ status: 'succeeded', taskId });
    expect(ctx.emu.submissions()).toBe(1);
  }, 60_000);

  it('too many open files while recording the task id: retried, the run goes on, one task', async () => {
    await photo();
    // The second write of the entry (`submitted`, after the answer) meets EMFILE twice.
    const faults = [
      { op: 'open', path: '\\.upscale/\\.[0-9a-f]{24}\\.json\\.', code: 'EMFILE', skip: 1, times: 2 },
    ];
    const first = await cli(['photo.jpg', '--json'], { faults });
    expect(first.stderr).not.toMatch(/this is a bug/);
    expect(jsonLines(first.stdout)[0]).toMatchObject({ status: 'succeeded', output: 'photo@2x.png' });
    expect(first.code).toBe(0);
    expect(ctx.emu.submissions()).toBe(1);
  }, 30_000);

  it('a disk that stays full (no task list: Comfy): the task id is said, the entry stays, nothing is paid again', async () => {
    await photo();
    const faults = [{ op: 'open', path: '\\.upscale/\\.[0-9a-f]{24}\\.json\\.', code: 'ENOSPC', skip: 1 }];
    const first = await cli(['photo.jpg', '-p', 'comfy', '--json'], { faults });
    expect(first.code).toBe(1);
    expect(jsonLines(first.stdout)[0]).toMatchObject({ error: { code: 'OUTPUT_UNWRITABLE' } });
    expect(first.stderr).not.toMatch(/this is a bug/);
    const taskId = ctx.emu.tasks[0]!.id;
    expect(first.stderr).toContain(`upscale download ${taskId}`);
    const again = await cli(['photo.jpg', '-p', 'comfy', '--json']);
    expect(jsonLines(again.stdout)[0]).toMatchObject({ error: { code: 'SUBMIT_UNCERTAIN' } });
    expect(ctx.emu.submissions()).toBe(1);
  }, 30_000);
});

describe('2: an entry that cannot be read, or was written by a newer version, stops its input and is kept', () => {
  /** A run that times out, leaving a `submitted` entry; returns its path and text. */
  async function pendingEntry(): Promise<{ path: string; text: string }> {
    await photo();
    ctx.emu.set({ processingMs: 60_000 });
    const first = await cli(['photo.jpg', '--json', '--timeout', '0.3']);
    expect(jsonLines(first.stdout)[0]).toMatchObject({ error: { code: 'TIMEOUT' } });
    const [name] = entryFiles(await everything(ctx.dir));
    const path = join(ctx.dir, name!);
    return { path, text: await readFile(path, 'utf8') };
  }

  it.each([
    ['truncated JSON', (text: string) => text.slice(0, 40), /cannot be read/],
    ['garbage bytes', () => '\u0000\u0001garbage\u00ff', /cannot be read/],
    [
      'a newer version (3)',
      (text: string) => JSON.stringify({ ...JSON.parse(text), version: 3 }),
      /newer version of upscale/,
    ],
  ])(
    '%s: no new task, the entry untouched, status lists it',
    async (_what, damage, said) => {
      const { path, text } = await pendingEntry();
      const damaged = damage(text);
      await writeFile(path, damaged);
      ctx.emu.set({ processingMs: 100 });
      const again = await cli(['photo.jpg', '--json']);
      expect(again.code).toBe(1);
      const [line] = jsonLines(again.stdout);
      expect(line).toMatchObject({ status: 'failed', error: { code: 'LEDGER_UNREADABLE' } });
      expect(again.stderr).toMatch(said);
      expect(again.stderr).toContain(path);
      expect(ctx.emu.submissions()).toBe(1);
      expect(await readFile(path, 'utf8')).toBe(damaged);
      const status = await cli(['status']);
      expect(status.stderr).not.toMatch(/nothing pending/);
      expect(status.stdout).toContain(path);
    },
    30_000,
  );
});

describe('4: the recipe records which input made an output', () => {
  it('a/x.png then b/x.png into one -o: the second is refused, not paid on every run', async () => {
    await picture(join(ctx.dir, 'a/x.png'), 1);
    await picture(join(ctx.dir, 'b/x.png'), 2);
    const first = await cli(['a/x.png', '-o', 'out', '--json']);
    expect(first.code).toBe(0);
    const second = await cli(['b/x.png', '-o', 'out', '--json']);
    expect(second.code).toBe(2);
    expect(second.stderr).toMatch(
      /its output out\/x@2x\.png was made from another input, a\/x\.png; nothing was sent/,
    );
    expect(second.stderr).toContain('--overwrite');
    const plan = await cli(['b/x.png', '-o', 'out', '--json', '--dry-run']);
    expect(jsonLines(plan.stdout)[0]).toMatchObject({ status: 'failed', error: { code: 'OUTPUT_CLASH' } });
    const third = await cli(['a/x.png', '-o', 'out', '--json']);
    expect(jsonLines(third.stdout)[0]).toMatchObject({ status: 'skipped' });
    expect(ctx.emu.submissions()).toBe(1);
  }, 30_000);

  it('Photo.png and photo.png (one lower-cased recipe key): refused, not replaced', async () => {
    await picture(join(ctx.dir, 'Photo.png'), 1);
    await picture(join(ctx.dir, 'photo.png'), 2);
    expect((await cli(['Photo.png', '-o', 'out', '--json'])).code).toBe(0);
    const second = await cli(['photo.png', '-o', 'out', '--json']);
    expect(second.stderr).toMatch(/was made from another input, Photo\.png/);
    expect(second.code).toBe(2);
    expect(ctx.emu.submissions()).toBe(1);
  }, 30_000);

  it('an input moved with the same bytes stays up to date; --overwrite still replaces', async () => {
    await picture(join(ctx.dir, 'a/x.png'), 1);
    expect((await cli(['a/x.png', '-o', 'out', '--json'])).code).toBe(0);
    await mkdir(join(ctx.dir, 'b'));
    await rename(join(ctx.dir, 'a/x.png'), join(ctx.dir, 'b/x.png'));
    const moved = await cli(['b/x.png', '-o', 'out', '--json']);
    expect(jsonLines(moved.stdout)[0]).toMatchObject({ status: 'skipped' });
    await picture(join(ctx.dir, 'c/x.png'), 3);
    const replaced = await cli(['c/x.png', '-o', 'out', '--json', '--overwrite']);
    expect(jsonLines(replaced.stdout)[0]).toMatchObject({ status: 'succeeded' });
    expect(ctx.emu.submissions()).toBe(2);
  }, 30_000);
});

describe('5: outputs are never inputs', () => {
  it('photos -r -o photos/big, then another scale: only the three photos are sent', async () => {
    for (const i of [0, 1, 2]) await picture(join(ctx.dir, `photos/p${i}.png`), i + 1);
    const first = await cli(['photos', '-r', '-o', 'photos/big', '--scale', '2x', '--json']);
    expect(first.code).toBe(0);
    expect(ctx.emu.submissions()).toBe(3);
    const second = await cli(['photos', '-r', '-o', 'photos/big', '--scale', '4x', '--json']);
    expect(second.code).toBe(0);
    expect(
      jsonLines(second.stdout)
        .map((l) => l.input)
        .sort(),
    ).toEqual(['photos/p0.png', 'photos/p1.png', 'photos/p2.png']);
    expect(ctx.emu.submissions()).toBe(6);
    expect(await everything(join(ctx.dir, 'photos/big'))).not.toContain('big');
  }, 60_000);

  it('outputs written beside their inputs are not inputs of the next run either', async () => {
    for (const i of [0, 1]) await picture(join(ctx.dir, `photos/p${i}.png`), i + 1);
    expect((await cli(['photos', '--scale', '2x', '--json'])).code).toBe(0);
    const second = await cli(['photos', '--scale', '4x', '--json']);
    expect(
      jsonLines(second.stdout)
        .map((l) => l.input)
        .sort(),
    ).toEqual(['photos/p0.png', 'photos/p1.png']);
    expect(ctx.emu.submissions()).toBe(4);
  }, 60_000);
});

describe('7: one output, one claim, whatever form -o takes', () => {
  it('-o out/photo@2x.png and -o out/ at once: one task, no -2 copy', async () => {
    await photo();
    ctx.emu.set({ processingMs: 1500 });
    const [a, b] = await Promise.all([
      cli(['photo.jpg', '-o', 'out/photo@2x.png', '--json']),
      cli(['photo.jpg', '-o', 'out/', '--format', 'png', '--json']),
    ]);
    expect([a.code, b.code]).toEqual([0, 0]);
    expect(ctx.emu.submissions()).toBe(1);
    expect((await readdir(join(ctx.dir, 'out'))).filter((n) => !n.startsWith('.'))).toEqual(['photo@2x.png']);
  }, 30_000);

  it('upscale download <id> -o the output a run is collecting: waits for it, no second copy', async () => {
    await photo();
    ctx.emu.set({ processingMs: 1500 });
    const running = cli(['photo.jpg', '-o', 'out', '--json']);
    await until(() => ctx.emu.tasks.length > 0);
    const taskId = ctx.emu.tasks[0]!.id;
    const download = await cli(['download', taskId, '-o', 'out/photo@2x.png', '--json']);
    const run = await running;
    expect(run.code).toBe(0);
    expect(download.code).toBe(0);
    expect(jsonLines(download.stdout)[0]).toMatchObject({ output: 'out/photo@2x.png' });
    expect((await readdir(join(ctx.dir, 'out'))).filter((n) => !n.startsWith('.'))).toEqual(['photo@2x.png']);
    expect(ctx.emu.submissions()).toBe(1);
  }, 30_000);

  it('upscale download <id> -o the output a finished run wrote from that task: nothing written again', async () => {
    await photo();
    const run = await cli(['photo.jpg', '-o', 'out', '--json']);
    expect(run.code).toBe(0);
    const taskId = ctx.emu.tasks[0]!.id;
    const download = await cli(['download', taskId, '-o', 'out/photo@2x.png', '--json']);
    expect(download.code).toBe(0);
    expect(jsonLines(download.stdout)[0]).toMatchObject({ status: 'skipped', output: 'out/photo@2x.png' });
    expect((await readdir(join(ctx.dir, 'out'))).filter((n) => !n.startsWith('.'))).toEqual(['photo@2x.png']);
    expect(ctx.emu.submissions()).toBe(1);
  }, 30_000);
});

describe('upscale download <id> -o twice: nothing written twice, nothing written over', () => {
  const visible = async (dir: string) =>
    (await readdir(join(ctx.dir, dir))).filter((n) => !n.startsWith('.')).sort();

  it('the same download again is a no-op that names the file the first wrote (plain and --json)', async () => {
    await photo();
    expect((await cli(['photo.jpg', '-o', 'out', '--json'])).code).toBe(0);
    const taskId = ctx.emu.tasks[0]!.id;
    const first = await cli(['download', taskId, '-o', 'dl/x.png']);
    expect(first.code).toBe(0);
    expect(first.stdout.trim()).toBe('dl/x.png');
    const again = await cli(['download', taskId, '-o', 'dl/x.png']);
    expect(again.code).toBe(0);
    expect(again.stdout.trim()).toBe('dl/x.png');
    expect(again.stderr).toContain('already exists');
    const json = await cli(['download', taskId, '-o', 'dl/x.png', '--json']);
    expect(json.code).toBe(0);
    expect(jsonLines(json.stdout)[0]).toMatchObject({ status: 'skipped', output: 'dl/x.png', width: 640 });
    expect(await visible('dl')).toEqual(['x.png']);
    // --overwrite, as the skipped line offers, downloads it again over the same name.
    const redo = await cli(['download', taskId, '-o', 'dl/x.png', '--overwrite', '--json']);
    expect(jsonLines(redo.stdout)[0]).toMatchObject({ status: 'succeeded', output: 'dl/x.png' });
    expect(await visible('dl')).toEqual(['x.png']);
    // What the download recorded is no recipe a run could conflict with: the run finds it up to date.
    const run = await cli(['photo.jpg', '-o', 'dl/x.png', '--json']);
    expect(run.code).toBe(0);
    expect(jsonLines(run.stdout)[0]).toMatchObject({ status: 'skipped', output: 'dl/x.png' });
    expect(ctx.emu.submissions()).toBe(1);
  }, 60_000);

  it('another task to the same -o goes to x-2.png, and each download again is a no-op naming its own file', async () => {
    await picture(join(ctx.dir, 'a.png'), 1);
    await picture(join(ctx.dir, 'b.png'), 2);
    expect((await cli(['a.png', 'b.png', '-o', 'out', '--json'])).code).toBe(0);
    const [a, b] = ctx.emu.tasks.map((t) => t.id);
    const outputOf = async (id: string) => {
      const result = await cli(['download', id!, '-o', 'dl/x.png', '--json']);
      expect(result.code).toBe(0);
      return jsonLines(result.stdout)[0] as { status: string; output: string };
    };
    expect(await outputOf(a!)).toMatchObject({ status: 'succeeded', output: 'dl/x.png' });
    const before = await readFile(join(ctx.dir, 'dl/x.png'));
    expect(await outputOf(b!)).toMatchObject({ status: 'succeeded', output: 'dl/x-2.png' });
    expect(await outputOf(b!)).toMatchObject({ status: 'skipped', output: 'dl/x-2.png' });
    expect(await outputOf(a!)).toMatchObject({ status: 'skipped', output: 'dl/x.png' });
    expect(await visible('dl')).toEqual(['x-2.png', 'x.png']);
    expect(await readFile(join(ctx.dir, 'dl/x.png'))).toEqual(before);
  }, 60_000);
});

describe('8: a commit that fails keeps the verified result', () => {
  it('a file system without hard links (exFAT, FAT, some shares): outputs are still written', async () => {
    await photo();
    // Every hard link fails, as on exFAT or FAT (the CLI names files relative to its folder).
    const faults = [{ op: 'link', path: '', code: 'EPERM' }];
    const first = await cli(['photo.jpg', '--json'], { faults });
    expect(first.stderr).not.toMatch(/permission/i);
    expect(jsonLines(first.stdout)[0]).toMatchObject({ status: 'succeeded', output: 'photo@2x.png' });
    expect(first.code).toBe(0);
    expect(await everything(ctx.dir)).toEqual(expect.arrayContaining(['photo@2x.png', '.upscale/recipes']));
    expect((await everything(ctx.dir)).filter((n) => n.endsWith('.part') || n.endsWith('.lock'))).toEqual([]);
    const again = await cli(['photo.jpg', '--json'], { faults });
    expect(jsonLines(again.stdout)[0]).toMatchObject({ status: 'skipped' });
    expect(ctx.emu.submissions()).toBe(1);
  }, 30_000);

  it('a folder stands at the name (--overwrite): the result is kept under .upscale/, said, and moved in later', async () => {
    await photo();
    await mkdir(join(ctx.dir, 'photo@2x.png'));
    await writeFile(join(ctx.dir, 'photo@2x.png', 'keep.txt'), 'mine');
    const first = await cli(['photo.jpg', '--overwrite', '--format', 'png', '--json']);
    expect(first.code).toBe(1);
    const [line] = jsonLines(first.stdout);
    expect(line).toMatchObject({ status: 'failed', error: { code: 'OUTPUT_UNWRITABLE' } });
    const message = String((line?.error as { message?: string } | undefined)?.message);
    const kept = /kept as (\S+?);?\s/.exec(`${message} `)?.[1];
    expect(kept).toMatch(/\.upscale\//);
    expect((await stat(resolve(ctx.dir, kept!))).isFile()).toBe(true);
    // Nothing of the user's folder is touched; the entry stays for the next run.
    expect(await readFile(join(ctx.dir, 'photo@2x.png', 'keep.txt'), 'utf8')).toBe('mine');
    const status = await cli(['status', '--json']);
    expect(jsonLines(status.stdout)).toHaveLength(1);
    const again = await cli(['photo.jpg', '--overwrite', '--format', 'png', '--json']);
    expect(again.code).toBe(1);

    await rm(join(ctx.dir, 'photo@2x.png'), { recursive: true });
    // The same command again: the kept result is moved in (at start-up), and counts as this run's.
    const third = await cli(['photo.jpg', '--overwrite', '--format', 'png', '--json']);
    expect(third.code).toBe(0);
    expect(jsonLines(third.stdout)[0]).toMatchObject({ output: 'photo@2x.png' });
    expect((await stat(join(ctx.dir, 'photo@2x.png'))).isFile()).toBe(true);
    expect(ctx.emu.submissions()).toBe(1);
    // Downloaded once: the kept result is what is moved in.
    expect(ctx.emu.cdnRequests.filter((r) => !r.internal)).toHaveLength(1);
    expect(entryFiles(await everything(ctx.dir))).toEqual([]);
  }, 30_000);
});

describe('9: the recipe records the input as it was sent', () => {
  it('an input edited while its task runs is redone by the next run, not taken as up to date', async () => {
    const input = join(ctx.dir, 'p.png');
    await picture(input, 1);
    ctx.emu.set({ processingMs: 1500 });
    const running = cli(['p.png', '--json']);
    await until(() => ctx.emu.tasks.length > 0);
    await picture(input, 2);
    expect((await running).code).toBe(0);
    ctx.emu.set({ processingMs: 100 });
    const second = await cli(['p.png', '--json']);
    expect(jsonLines(second.stdout)[0]).toMatchObject({ status: 'succeeded' });
    expect(ctx.emu.submissions()).toBe(2);
  }, 30_000);
});

describe('11: forget and status touch only what they name', () => {
  it('forget photo.jpg in one project leaves another project’s photo.jpg', async () => {
    const config = join(ctx.dir, 'shared-config');
    ctx.emu.set({ processingMs: 60_000 });
    for (const project of ['p1', 'p2']) {
      await photo(`${project}/photo.jpg`);
      const run = await cli(['photo.jpg', '--json', '--timeout', '0.3'], {
        cwd: join(ctx.dir, project),
        env: { UPSCALE_CONFIG_DIR: config },
      });
      expect(jsonLines(run.stdout)[0]).toMatchObject({ error: { code: 'TIMEOUT' } });
    }
    const forget = await cli(['forget', 'photo.jpg', '--json'], {
      cwd: join(ctx.dir, 'p1'),
      env: { UPSCALE_CONFIG_DIR: config },
    });
    expect(forget.code).toBe(0);
    expect(jsonLines(forget.stdout)).toHaveLength(1);
    const status = await cli(['status', '--json'], { env: { UPSCALE_CONFIG_DIR: config } });
    const left = jsonLines(status.stdout);
    expect(left).toHaveLength(1);
    expect(left[0]).toMatchObject({ path: join(ctx.dir, 'p2', 'photo.jpg') });
  }, 30_000);

  it('status while a folder is away (unmounted) keeps it in the index', async () => {
    const config = join(ctx.dir, 'shared-config');
    await photo('usb/photo.jpg');
    ctx.emu.set({ processingMs: 60_000 });
    const env = { UPSCALE_CONFIG_DIR: config };
    const run = await cli(['usb/photo.jpg', '-o', 'usb/out', '--json', '--timeout', '0.3'], { env });
    expect(jsonLines(run.stdout)[0]).toMatchObject({ error: { code: 'TIMEOUT' } });
    await rename(join(ctx.dir, 'usb'), join(ctx.dir, 'usb-away'));
    await cli(['status', '--json'], { env });
    await rename(join(ctx.dir, 'usb-away'), join(ctx.dir, 'usb'));
    const back = await cli(['status', '--json'], { env });
    expect(jsonLines(back.stdout)).toHaveLength(1);
  }, 30_000);
});

describe('17: a disk that cannot be written is named, not called a bug', () => {
  it('a full disk at start: exit 2 naming the folder, nothing sent, no lock left', async (test) => {
    const disk = await smallDisk(join(ctx.dir, 'disk'), '1m');
    if (!disk) return test.skip();
    await photo();
    await mkdir(join(disk, 'out'));
    await fill(join(disk, 'filler'));
    const run = await cli(['photo.jpg', '-o', join(disk, 'out'), '--json']);
    expect(run.stderr).not.toMatch(/this is a bug/);
    expect(run.stderr).toContain(join(disk, 'out'));
    expect(run.stderr).toMatch(/no space left|disk is full/);
    expect(run.code).toBe(2);
    expect(ctx.emu.submissions()).toBe(0);
    expect(locks(await everything(disk))).toEqual([]);
  }, 30_000);

  it.each(['EACCES', 'EPERM', 'ENOSPC', 'EMFILE'])(
    '%s on the ledger before sending: exit 2 naming the folder, nothing sent',
    async (code) => {
      await photo();
      const faults = [{ op: 'open', path: '\\.upscale/\\.[0-9a-f]{24}\\.json\\.', code }];
      const run = await cli(['photo.jpg', '--json'], { faults });
      expect(run.stderr).not.toMatch(/this is a bug/);
      expect(jsonLines(run.stdout)[0]).toMatchObject({ error: { code: 'OUTPUT_FOLDER_UNWRITABLE' } });
      expect(run.stderr).toContain(join(ctx.dir, '.upscale'));
      expect(run.code).toBe(2);
      expect(ctx.emu.submissions()).toBe(0);
      expect(locks(await everything(ctx.dir))).toEqual([]);
    },
    30_000,
  );

  it('EACCES on the output after paying: OUTPUT_UNWRITABLE naming the file, the task kept', async () => {
    await photo();
    const faults = [{ op: 'link', path: 'photo@2x\\.png$', code: 'EACCES' }];
    const run = await cli(['photo.jpg', '--json'], { faults });
    expect(run.stderr).not.toMatch(/this is a bug/);
    expect(jsonLines(run.stdout)[0]).toMatchObject({ error: { code: 'OUTPUT_UNWRITABLE' } });
    expect(run.stderr).toContain('photo@2x.png');
    // The verified result is not thrown away: kept under .upscale/, and said where.
    expect(run.stderr).toMatch(/kept as \.upscale\//);
    expect(run.code).toBe(1);
    const again = await cli(['photo.jpg', '--json']);
    expect(again.code).toBe(0);
    expect(jsonLines(again.stdout)[0]).toMatchObject({ output: 'photo@2x.png' });
    expect((await stat(join(ctx.dir, 'photo@2x.png'))).isFile()).toBe(true);
    expect(ctx.emu.submissions()).toBe(1);
    expect(ctx.emu.cdnRequests.filter((r) => !r.internal)).toHaveLength(1);
  }, 30_000);
});

describe('too many open files while reading inputs: named, never a bug, nothing paid lost', () => {
  it('EMFILE that lasts on one input: INPUT_UNREADABLE naming it with the limit hint; the others are collected', async () => {
    await photo();
    await picture(join(ctx.dir, 'b.png'), 3);
    // Every open of photo.jpg by the CLI (its hash, the submit's body) meets the limit.
    const faults = [{ op: 'open', path: '^photo\\.jpg$', code: 'EMFILE' }];
    const run = await cli(['photo.jpg', 'b.png', '--json'], { faults });
    expect(run.stderr).not.toMatch(/this is a bug|INTERNAL/);
    const byInput = Object.fromEntries(jsonLines(run.stdout).map((r) => [r.input, r]));
    expect(byInput['photo.jpg']).toMatchObject({
      status: 'failed',
      error: {
        code: 'INPUT_UNREADABLE',
        message: expect.stringContaining('photo.jpg cannot be read (EMFILE'),
      },
    });
    const { error } = byInput['photo.jpg'] as { error: { message: string; hint: string } };
    expect(error.message).not.toContain('\n');
    expect(error.hint).toMatch(/ulimit -n .*--concurrency/);
    expect(byInput['b.png']).toMatchObject({ status: 'succeeded', output: 'b@2x.png' });
    expect(run.code).toBe(1);
    // photo.jpg was never sent: one task, b.png's, and nothing left pending.
    expect(ctx.emu.submissions()).toBe(1);
    expect(entryFiles(await everything(ctx.dir))).toEqual([]);
  }, 30_000);

  it('EMFILE reading the image as the submit sends it: not a lost submit; sent again once it passes', async () => {
    await photo();
    // The hash reads it first (let through); the submit's body then meets the limit twice.
    const faults = [{ op: 'open', path: '^photo\\.jpg$', code: 'EMFILE', skip: 1, times: 2 }];
    const run = await cli(['photo.jpg', '--json', '--verbose'], { faults });
    expect(run.stderr).not.toMatch(/this is a bug|uncertain/i);
    expect(jsonLines(run.stdout)[0]).toMatchObject({ status: 'succeeded', output: 'photo@2x.png' });
    expect(run.code).toBe(0);
    expect(ctx.emu.submissions()).toBe(1);
    expect(run.stderr).toMatch(/not sent \(EMFILE: photo\.jpg\)/);
  }, 30_000);

  it('under a real `ulimit -n`: no input is called a bug or not an image, and every task created is written or pending', async () => {
    await writePngs(join(ctx.dir, 'in'), 24, { width: 64, height: 48 });
    const env: Record<string, string> = {
      ...scrubbedEnv(),
      ...emulatorEnv(ctx.emu),
      CI: 'true',
      UPSCALE_CONFIG_DIR: join(ctx.dir, '.upscale-config'),
    };
    const run = await spawnCollect(
      'bash',
      [
        '-c',
        'ulimit -n 56 && exec "$0" "$@"',
        process.execPath,
        BIN,
        'in',
        '-o',
        'out',
        '--json',
        '--concurrency',
        '16',
      ],
      { cwd: ctx.dir, env },
    );
    expect(run.stderr).not.toMatch(/this is a bug/);
    const results = jsonLines(run.stdout);
    expect(results).toHaveLength(24);
    const codes = results.flatMap((r) => (r.error ? [(r.error as { code: string }).code] : []));
    expect(codes.filter((c) => c === 'INTERNAL' || c === 'NOT_AN_IMAGE')).toEqual([]);
    // Nothing paid is lost: each task the emulator created is an output written, or pending in the ledger.
    const written = results.filter((r) => r.status === 'succeeded').length;
    const pending = entryFiles(await everything(join(ctx.dir, 'out'))).length;
    expect(written + pending).toBe(ctx.emu.submissions());
  }, 60_000);
});

describe('19: an undecodable result is kept under .upscale/, and goes once a good one is written', () => {
  it('not beside the outputs (where out/*.png would ship it); removed after a good download', async () => {
    await photo();
    ctx.emu.script(
      'download',
      Array.from({ length: 8 }, () => 'truncate-close'),
    );
    const first = await cli(['photo.jpg', '-o', 'out', '--json']);
    expect(first.code).toBe(1);
    const [line] = jsonLines(first.stdout);
    expect(line).toMatchObject({ status: 'failed', error: { code: 'DOWNLOAD' } });
    const files = await everything(join(ctx.dir, 'out'));
    expect(files.filter((n) => n.includes('.invalid.') && !n.startsWith('.upscale/'))).toEqual([]);
    const kept = files.filter((n) => n.startsWith('.upscale/') && n.includes('photo@2x.invalid.'));
    expect(kept).toHaveLength(1);
    expect(first.stderr).toContain(join('out', kept[0]!));

    const second = await cli(['photo.jpg', '-o', 'out', '--json']);
    expect(jsonLines(second.stdout)[0]).toMatchObject({ status: 'succeeded' });
    expect((await everything(join(ctx.dir, 'out'))).filter((n) => n.includes('.invalid.'))).toEqual([]);
    expect(ctx.emu.submissions()).toBe(1);
  }, 90_000);
});
