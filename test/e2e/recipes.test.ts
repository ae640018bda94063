/**
 * Issue 16: a CI asset pipeline — redo what changed, skip what did not, refuse what another
 * recipe made, survive a cache restore of the output folder alone, and split across any CI.
 */
import { cp, mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { emulatorEnv, jsonLines, runCli, useEmulator } from './cli-harness.js';

const ctx = useEmulator({ processingMs: 60 });

async function design(name: string, colour: string, width = 48, height = 36): Promise<void> {
  await mkdir(join(ctx.dir, 'art'), { recursive: true });
  await sharp({ create: { width, height, channels: 3, background: colour } })
    .png()
    .toFile(join(ctx.dir, 'art', name));
}

const run = (args: string[], env: Record<string, string> = {}) =>
  runCli(['art', '-o', 'out', '--json', '--poll-interval', '30', ...args], {
    cwd: ctx.dir,
    env: { ...emulatorEnv(ctx.emu), ...env },
  });
const statuses = (stdout: string) =>
  Object.fromEntries(
    jsonLines(stdout).map((l) => [String(l.input).replace('art/', ''), l.freshness ?? l.status]),
  );

describe('recipes: an output is up to date when it was made from the same input with the same recipe', () => {
  it('skips what is up to date, redoes a changed input in place, and says which is which', async () => {
    await design('logo.png', '#c33');
    await design('hero.png', '#3c3');
    expect((await run([])).code).toBe(0);
    expect(ctx.emu.submissions()).toBe(2);
    expect((await readdir(join(ctx.dir, 'out', '.upscale', 'recipes'))).length).toBe(2);

    // A designer replaces the logo.
    await design('logo.png', '#33c', 60);
    const plan = await run(['--dry-run']);
    expect(statuses(plan.stdout)).toEqual({ 'logo.png': 'changed', 'hero.png': 'up-to-date' });
    const second = await run([]);
    expect(second.code).toBe(0);
    expect(ctx.emu.submissions()).toBe(3);
    const logo = await sharp(join(ctx.dir, 'out', 'logo@2x.png')).metadata();
    expect(logo.width).toBe(120); // the new 60 px logo at 2x, in place of the old output
    expect((await readdir(join(ctx.dir, 'out'))).filter((n) => /-2\.png$/.test(n))).toEqual([]);
    expect(statuses((await run([])).stdout)).toEqual({ 'logo.png': 'up-to-date', 'hero.png': 'up-to-date' });
    expect(ctx.emu.submissions()).toBe(3);
  });

  it('another provider on the same output name is refused before sending, naming both ways out', async () => {
    await design('logo.png', '#c33', 200, 160); // big enough for the Comfy proxy's 160 px minimum
    expect((await run([])).code).toBe(0);
    const before = ctx.emu.requests.length;
    const comfy = await run(['-p', 'comfy']);
    expect(comfy.code).toBe(2);
    expect(comfy.stderr).toMatch(
      /its output logo@2x\.png was made with freepik, this command would use comfy/,
    );
    expect(comfy.stderr).toContain('--overwrite');
    expect(comfy.stderr).toContain("--name '{name}@{provider}-{scale}'");
    expect(ctx.emu.requests.length).toBe(before);
    const plan = await run(['-p', 'comfy', '--dry-run']);
    expect(plan.code).toBe(2);
    expect(jsonLines(plan.stdout)[0]).toMatchObject({ error: { code: 'RECIPE_CONFLICT' } });

    const both = await run(['-p', 'comfy', '--name', '{name}@{provider}-{scale}']);
    expect(both.code).toBe(0);
    expect((await readdir(join(ctx.dir, 'out'))).filter((n) => !n.startsWith('.')).sort()).toEqual([
      'logo@2x.png',
      'logo@comfy-2x.png',
    ]);
    const redo = await run(['-p', 'comfy', '--overwrite']);
    expect(redo.code).toBe(0);
    expect(ctx.emu.submissions()).toBe(3);
  });

  it('outputs made before recipes existed count as up to date; --overwrite still redoes them', async () => {
    await design('old.png', '#888');
    await mkdir(join(ctx.dir, 'out'));
    await sharp({ create: { width: 96, height: 72, channels: 3, background: '#888' } })
      .png()
      .toFile(join(ctx.dir, 'out', 'old@2x.png'));
    const first = await run([]);
    expect(jsonLines(first.stdout)[0]).toMatchObject({ status: 'skipped', freshness: 'up-to-date' });
    expect(ctx.emu.submissions()).toBe(0);
    expect((await run(['--overwrite'])).code).toBe(0);
    expect(ctx.emu.submissions()).toBe(1);
  });

  it('a CI cache that restores only the output folder: the re-run creates no task', async () => {
    await design('a.png', '#a33');
    await design('b.png', '#3a3');
    expect((await run([], { UPSCALE_CONFIG_DIR: join(ctx.dir, 'cfg-1') })).code).toBe(0);
    // A fresh job: a new checkout of the inputs, the output folder from the cache, no config.
    const job = join(ctx.dir, 'job2');
    await cp(join(ctx.dir, 'art'), join(job, 'art'), { recursive: true });
    await cp(join(ctx.dir, 'out'), join(job, 'out'), { recursive: true });
    const again = await runCli(['art', '-o', 'out', '--json'], {
      cwd: job,
      env: { ...emulatorEnv(ctx.emu), UPSCALE_CONFIG_DIR: join(job, 'fresh-config') },
    });
    expect(again.code).toBe(0);
    expect(jsonLines(again.stdout).map((l) => l.freshness)).toEqual(['up-to-date', 'up-to-date']);
    expect(ctx.emu.submissions()).toBe(2);
  });

  it('--dry-run prices only what would run', async () => {
    await design('x.png', '#111');
    await design('y.png', '#222');
    expect((await run([])).code).toBe(0);
    await design('x.png', '#123', 64);
    await design('z.png', '#333');
    const plan = await run(['--dry-run']);
    const lines = jsonLines(plan.stdout);
    expect(statuses(plan.stdout)).toEqual({ 'x.png': 'changed', 'y.png': 'up-to-date', 'z.png': 'new' });
    expect(
      lines
        .filter((l) => l.cost !== undefined)
        .map((l) => l.input)
        .sort(),
    ).toEqual(['art/x.png', 'art/z.png']);
  });
});

describe('--shard auto', () => {
  // Each CI's and engine's variables: test/run/shard.test.ts.
  it('takes the same inputs as --shard i/n, and exits 2 when no CI says which job this is', async () => {
    for (let i = 0; i < 6; i++) await design(`p${i}.png`, `#${i}${i}${i}`);
    const manual = await run(['--dry-run', '--shard', '2/3']);
    const gitlab = await run(['--dry-run', '--shard', 'auto'], { CI_NODE_INDEX: '2', CI_NODE_TOTAL: '3' });
    const inputs = (stdout: string) =>
      jsonLines(stdout)
        .map((l) => String(l.input))
        .sort();
    expect(inputs(gitlab.stdout)).toEqual(inputs(manual.stdout));
    const none = await run(['--shard', 'auto']);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/--shard auto: no CI split found/);
    expect(ctx.emu.requests).toEqual([]);
  });
});
