/**
 * Issue 4 end to end: folders, mirrored trees, re-runs that send nothing, a run killed with
 * SIGKILL then re-run (no duplicate submission, every output), and sharding.
 */
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { emulatorEnv, jsonLines, runCli, signalWhenSubmitted, useEmulator } from './cli-harness.js';

const ctx = useEmulator({ processingMs: 100 });

const env = () => emulatorEnv(ctx.emu);

async function image(path: string, width = 40, height = 30, color = '#468'): Promise<void> {
  await mkdir(join(path, '..'), { recursive: true });
  await sharp({ create: { width, height, channels: 3, background: color } })
    .png()
    .toFile(path);
}

/** All files below `root`, relative, sorted; hidden ones (config, journal) left out. */
async function tree(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => relative(root, join(e.parentPath, e.name)))
    .filter((p) => !p.split('/').some((s) => s.startsWith('.')))
    .sort();
}

describe('batches', () => {
  it('takes only images from a folder, keeps going past bad files, and exits 1 with a summary', async () => {
    await image(join(ctx.dir, 'in/a.png'));
    await image(join(ctx.dir, 'in/b.png'));
    await writeFile(join(ctx.dir, 'in/broken.jpg'), 'not a jpeg at all');
    await writeFile(join(ctx.dir, 'in/.DS_Store'), 'x');
    await writeFile(join(ctx.dir, 'in/._a.png'), 'x');
    await writeFile(join(ctx.dir, 'in/Thumbs.db'), 'x');
    await writeFile(join(ctx.dir, 'in/notes.txt'), 'x');
    const run = await runCli(['in', '--json', '--poll-interval', '20'], { cwd: ctx.dir, env: env() });
    expect(run.code).toBe(1);
    const lines = jsonLines(run.stdout);
    expect(lines.map((l) => [l.input, l.status]).sort()).toEqual([
      ['in/a.png', 'succeeded'],
      ['in/b.png', 'succeeded'],
      ['in/broken.jpg', 'failed'],
    ]);
    expect(lines.find((l) => l.input === 'in/broken.jpg')?.error).toMatchObject({ code: 'NOT_AN_IMAGE' });
    expect(run.stderr).toMatch(/summary: 2 succeeded, 0 skipped, 1 failed/);
    expect(run.stderr).toContain('in/broken.jpg');
    expect(ctx.emu.submissions()).toBe(2);
  });

  it('mirrors a folder tree into -o with --recursive, and a second run sends nothing', async () => {
    await image(join(ctx.dir, 'photos/top.png'));
    await image(join(ctx.dir, 'photos/2024/summer/beach.png'));
    await image(join(ctx.dir, 'photos/2024/winter/snow.png'));
    const args = ['photos', '--recursive', '-o', 'big', '--scale', '4x', '--poll-interval', '20'];
    const first = await runCli(args, { cwd: ctx.dir, env: env() });
    expect(first.code).toBe(0);
    expect(await tree(join(ctx.dir, 'big'))).toEqual([
      '2024/summer/beach@4x.png',
      '2024/winter/snow@4x.png',
      'top@4x.png',
    ]);
    const meta = await sharp(join(ctx.dir, 'big/2024/summer/beach@4x.png')).metadata();
    expect([meta.width, meta.height]).toEqual([160, 120]);
    const sent = ctx.emu.requests.length;

    const second = await runCli([...args, '--json'], { cwd: ctx.dir, env: env() });
    expect(second.code).toBe(0);
    expect(jsonLines(second.stdout).map((l) => l.status)).toEqual(['skipped', 'skipped', 'skipped']);
    expect(ctx.emu.requests.length).toBe(sent);
  });

  it('does not take its own outputs as inputs when re-run over the same folder', async () => {
    await image(join(ctx.dir, 'pics/a.png'));
    const first = await runCli(['pics', '--poll-interval', '20'], { cwd: ctx.dir, env: env() });
    expect(first.code).toBe(0);
    expect(await tree(join(ctx.dir, 'pics'))).toEqual(['a.png', 'a@2x.png']);
    const second = await runCli(['pics', '--json'], { cwd: ctx.dir, env: env() });
    expect(jsonLines(second.stdout)).toEqual([
      expect.objectContaining({ input: 'pics/a.png', status: 'skipped' }),
    ]);
    expect(ctx.emu.submissions()).toBe(1);
  });

  it('refuses, before sending anything, two inputs that would write the same output', async () => {
    await image(join(ctx.dir, 'x/a.png'));
    await sharp({ create: { width: 20, height: 20, channels: 3, background: '#000' } })
      .jpeg()
      .toFile(join(ctx.dir, 'x/a.jpg'));
    const run = await runCli(['x', '-o', 'out'], { cwd: ctx.dir, env: env() });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/x\/a\.jpg and x\/a\.png would both write/);
    expect(ctx.emu.requests).toEqual([]);
  });

  it('reads inputs from stdin with -, expands quoted globs, and takes duplicates once', async () => {
    await image(join(ctx.dir, 'g/one.png'));
    await image(join(ctx.dir, 'g/two.png'));
    const run = await runCli(['-', 'g/*.png', '--json', '--poll-interval', '20', '-o', 'out'], {
      cwd: ctx.dir,
      env: env(),
      stdin: 'g/one.png\n\ng/one.png\n',
    });
    expect(run.code).toBe(0);
    expect(
      jsonLines(run.stdout)
        .map((l) => l.input)
        .sort(),
    ).toEqual(['g/one.png', 'g/two.png']);
    expect(ctx.emu.submissions()).toBe(2);
  });

  it('names outputs with --name tokens', async () => {
    await image(join(ctx.dir, 'n/cat.png'));
    const run = await runCli(
      ['n/cat.png', '--name', '{provider}-{name}-{scale}.{ext}', '--poll-interval', '20', '-o', 'o'],
      {
        cwd: ctx.dir,
        env: env(),
      },
    );
    expect(run.code).toBe(0);
    expect(await tree(join(ctx.dir, 'o'))).toEqual(['freepik-cat-2x.png']);
  });

  it('splits inputs 3 ways with --shard so that every input is taken exactly once', async () => {
    for (let i = 0; i < 12; i++) await image(join(ctx.dir, `s/img${i}.png`), 20, 20);
    const taken: string[] = [];
    for (const i of [1, 2, 3]) {
      const run = await runCli(['s', '--dry-run', '--json', '--shard', `${i}/3`], {
        cwd: ctx.dir,
        env: env(),
      });
      expect(run.code).toBe(0);
      taken.push(...jsonLines(run.stdout).map((l) => String(l.input)));
    }
    expect(taken.sort()).toEqual(Array.from({ length: 12 }, (_, i) => `s/img${i}.png`).sort());
  });

  it('after SIGKILL mid-batch, the same command collects submitted tasks instead of paying again', async () => {
    const count = 8;
    for (let i = 0; i < count; i++) await image(join(ctx.dir, `k/p${i}.png`), 30, 20, `#${i}${i}${i}`);
    ctx.emu.set({ processingMs: 1500 });
    const args = ['k', '-o', 'out', '--concurrency', '3', '--poll-interval', '100', '--json'];
    const killed = await runCli(args, {
      cwd: ctx.dir,
      env: env(),
      onSpawn: signalWhenSubmitted(ctx.emu, 3, 'SIGKILL'),
    });
    expect(killed.signal).toBe('SIGKILL');
    const before = ctx.emu.submissions();
    expect(before).toBeGreaterThanOrEqual(3);
    expect(before).toBeLessThan(count);
    ctx.emu.set({ processingMs: 100 });

    const rerun = await runCli(args, { cwd: ctx.dir, env: env() });
    expect(rerun.stderr.split('\n').filter((l) => l.includes('failed:'))).toEqual([]);
    expect(rerun.code).toBe(0);
    expect(ctx.emu.submissions()).toBe(count);
    expect(await tree(join(ctx.dir, 'out'))).toEqual(
      Array.from({ length: count }, (_, i) => `p${i}@2x.png`).sort(),
    );
    expect(await readdir(join(ctx.dir, 'out'))).not.toContainEqual(expect.stringMatching(/\.part$/));
  });

  it('on Ctrl-C lets submits in flight finish, saves the journal, says how to resume, and exits 130', async () => {
    const count = 6;
    for (let i = 0; i < count; i++) await image(join(ctx.dir, `c/p${i}.png`), 30, 20, `#${i}${i}${i}`);
    ctx.emu.set({ processingMs: 2000 });
    const args = ['c', '-o', 'out', '--concurrency', '2', '--poll-interval', '100'];
    const interrupted = await runCli(args, {
      cwd: ctx.dir,
      env: env(),
      onSpawn: signalWhenSubmitted(ctx.emu, 2, 'SIGINT'),
    });
    expect(interrupted.code).toBe(130);
    expect(interrupted.stderr).toMatch(/Run the same command again/);
    // One line for what is left, none per input (issue 24).
    expect(interrupted.stderr).toMatch(
      /interrupted: 0 of 6 inputs finished; 2 submitted tasks are kept in the ledger/,
    );
    expect(interrupted.stderr).not.toMatch(/ is task /);
    expect(ctx.emu.submissions()).toBe(2);
    ctx.emu.set({ processingMs: 50 });
    const rerun = await runCli(args, { cwd: ctx.dir, env: env() });
    expect(rerun.code).toBe(0);
    expect(ctx.emu.submissions()).toBe(count);
    expect(await tree(join(ctx.dir, 'out'))).toHaveLength(count);
  });

  it('a batch interrupted twice at random moments ends with every output and one submission per input', async () => {
    const count = 30;
    for (let i = 0; i < count; i++)
      await image(join(ctx.dir, `r/p${i}.png`), 24 + i, 16, `#${(i * 7) % 10}${i % 10}${(i * 3) % 10}`);
    ctx.emu.set({ processingMs: 300 });
    const args = ['r', '-o', 'out', '--concurrency', '6', '--poll-interval', '50'];
    for (const signal of ['SIGINT', 'SIGKILL'] as const) {
      const at = ctx.emu.submissions() + 3 + Math.floor(Math.random() * 8);
      await runCli(args, {
        cwd: ctx.dir,
        env: env(),
        onSpawn: (child) => {
          const timer = setInterval(() => {
            if (ctx.emu.submissions() >= at) {
              clearInterval(timer);
              child.kill(signal);
            }
          }, 2);
          child.on('exit', () => clearInterval(timer));
        },
      });
    }
    const last = await runCli(args, { cwd: ctx.dir, env: env() });
    expect(last.stderr.split('\n').filter((l) => l.includes('failed:'))).toEqual([]);
    expect(last.code).toBe(0);
    expect(ctx.emu.submissions()).toBe(count);
    const outputs = await tree(join(ctx.dir, 'out'));
    // Named in the failure, if any: something other than the outputs (seen once under load).
    expect(outputs.filter((f) => !/^p\d+@2x\.png$/.test(f))).toEqual([]);
    expect(outputs).toHaveLength(count);
  });
});
