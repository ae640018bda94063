/**
 * Issue 22, failure 6 and Must 4: recovery never sends a submit again while an unexplained task
 * exists. A task listed inside the submit's window that no entry knows keeps the input
 * `uncertain`, however its result looks; how a result looks may only ever say "this one".
 */
import { copyFile, mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { emulatorEnv, IMAGES, jsonLines, runCli, useEmulator } from './cli-harness.js';

const ctx = useEmulator({ processingMs: 100 });

const cli = (args: string[], extra: Record<string, string> = {}) =>
  runCli([...args, '--poll-interval', '30'], { cwd: ctx.dir, env: { ...emulatorEnv(ctx.emu), ...extra } });

/**
 * Grey-ish noise of one size, its layout set by `seed` (every pixel drawn on its own). Small on
 * purpose: a 2x of 24×24 noise squeezed to a thumbnail is over 20/255 from the input's in colour,
 * which the old recovery took for proof that the task was someone else's.
 */
async function noise(path: string, seed: number, width = 24, height = 24, touch = false): Promise<void> {
  const data = Buffer.alloc(width * height * 3);
  let x = (seed * 2654435761) >>> 0;
  for (let i = 0; i < width * height; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    const v = x >>> 24;
    data.set([v, (v * 0.8) | 0, (v * 0.6) | 0], i * 3);
  }
  // One pixel changed: another file, the same picture to anyone's eye.
  if (touch) data[0] = 255 - data[0]!;
  await mkdir(join(path, '..'), { recursive: true });
  await sharp(data, { raw: { width, height, channels: 3 } })
    .png()
    .toFile(path);
}

/** An image squeezed to 16×16 RGB, to tell which input a result was made from. */
const squeeze = (image: string | Buffer) =>
  sharp(image).resize(16, 16, { fit: 'fill' }).removeAlpha().raw().toBuffer();

function difference(a: Buffer, b: Buffer): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs(a[i]! - b[i]!);
  return sum / a.length;
}

/** The emulator's tasks by the input each was made from (its result is a plain resize of it). */
async function tasksByInput(inputs: readonly string[]): Promise<Map<string, string[]>> {
  const mine = await Promise.all(inputs.map((p) => squeeze(p)));
  const byInput = new Map<string, string[]>();
  for (const task of ctx.emu.tasks) {
    const result = await squeeze(Buffer.from(await (await fetch(task.fileUrl)).arrayBuffer()));
    const distances = mine.map((m) => difference(m, result));
    const best = distances.indexOf(Math.min(...distances));
    const input = inputs[best]!;
    byInput.set(input, [...(byInput.get(input) ?? []), task.id]);
  }
  return byInput;
}

describe('failure 6: eight same-size noise images whose submit answers are lost', () => {
  it('never a second task for an input whose first exists; the unexplained stay uncertain and are not paid again', {
    timeout: 60_000,
  }, async () => {
    for (let i = 0; i < 8; i++) await noise(join(ctx.dir, `in/n${i}.png`), i + 1);
    // Four answers lost after the task was created, four before anything was created.
    ctx.emu.script('submit', [
      'create-then-500',
      'html502',
      'reset-after-create',
      'reset',
      'create-then-html502',
      'html502',
      'create-then-not-json',
      'reset',
    ]);
    const inputs = Array.from({ length: 8 }, (_, i) => join(ctx.dir, `in/n${i}.png`));
    const first = await cli(['in', '-o', 'out', '--json', '--concurrency', '8']);
    const info = `${first.stderr}\ntasks: ${ctx.emu.submissions()}`;
    expect(ctx.emu.submissions(), info).toBeLessThanOrEqual(8);
    // No input ever got a second task.
    for (const [input, ids] of await tasksByInput(inputs)) expect(ids, `${input}\n${info}`).toHaveLength(1);
    const lines = jsonLines(first.stdout);
    expect(lines).toHaveLength(8);
    console.log(
      `failure 6: ${ctx.emu.submissions()} tasks for 8 inputs, ${lines.filter((l) => l.status === 'succeeded').length} written in the first run`,
    );
    // Those whose task could not be told are uncertain, named with the tasks that could be theirs.
    for (const line of lines.filter((l) => l.status !== 'succeeded')) {
      expect(line, info).toMatchObject({ status: 'failed', error: { code: 'SUBMIT_UNCERTAIN' } });
      expect(String((line.error as { message: string }).message)).toMatch(/candidates: /);
    }
    expect(first.code).toBe(lines.every((l) => l.status === 'succeeded') ? 0 : 1);

    // A second run pays for nothing whose task exists.
    const second = await cli(['in', '-o', 'out', '--json', '--concurrency', '8']);
    expect(ctx.emu.submissions(), second.stderr).toBeLessThanOrEqual(8);
    for (const [input, ids] of await tasksByInput(inputs)) expect(ids, input).toHaveLength(1);
    // Every output written is its own input's result: nearer to it than to any other input.
    const outputs = (await readdir(join(ctx.dir, 'out'))).filter((n) => n.endsWith('.png'));
    expect(outputs.length).toBe(jsonLines(second.stdout).filter((l) => l.status !== 'failed').length);
    const looks = await Promise.all(inputs.map((p) => squeeze(p)));
    for (const name of outputs) {
      const result = await squeeze(join(ctx.dir, 'out', name));
      const distances = looks.map((l) => difference(l, result));
      const own = inputs.indexOf(join(ctx.dir, 'in', name.replace('@2x', '')));
      expect(distances.indexOf(Math.min(...distances)), name).toBe(own);
    }
  });
});

describe('Must 4: a candidate that cannot be attributed keeps the input uncertain', () => {
  it('two near-identical inputs, both answers lost after their tasks were created: both uncertain, never sent again', async () => {
    await noise(join(ctx.dir, 'in/a.png'), 5);
    await noise(join(ctx.dir, 'in/b.png'), 5, 24, 24, true);
    ctx.emu.script('submit', ['create-then-500', 'create-then-500']);
    const first = await cli(['in', '-o', 'out', '--json', '--concurrency', '2']);
    expect(first.code).toBe(1);
    const ids = ctx.emu.tasks.map((t) => t.id);
    expect(ids).toHaveLength(2);
    for (const line of jsonLines(first.stdout)) {
      expect(line).toMatchObject({ status: 'failed', error: { code: 'SUBMIT_UNCERTAIN' } });
      // Both tasks named, so the user can look them up.
      for (const id of ids) expect(String((line.error as { message: string }).message)).toContain(id);
    }
    expect(first.stderr).toMatch(/upscale forget in\/[ab]\.png/);
    // Run again: still undecided, still nothing sent.
    const second = await cli(['in', '-o', 'out', '--json', '--concurrency', '2']);
    expect(second.code).toBe(1);
    expect(ctx.emu.submissions()).toBe(2);
  });
});

describe('the tasks of finished outputs are never candidates', () => {
  it('an output another config folder finished in the same folder is known by its recipe: a lost submit beside it is sent again', async () => {
    await copyFile(join(IMAGES, 'photo.jpg'), join(ctx.dir, 'photo.jpg'));
    await noise(join(ctx.dir, 'n.png'), 9);
    // Another run (its own config folder) writes photo.jpg's output into out/ first.
    const other = await cli(['photo.jpg', '-o', 'out', '--json'], {
      UPSCALE_CONFIG_DIR: join(ctx.dir, 'cfg-b'),
    });
    expect(other.code).toBe(0);
    const [theirs] = ctx.emu.tasks;
    const recipes = await readdir(join(ctx.dir, 'out/.upscale/recipes'));
    const recipe = JSON.parse(await readFile(join(ctx.dir, 'out/.upscale/recipes', recipes[0]!), 'utf8'));
    expect(recipe.taskId).toBe(theirs!.id);
    // Ours: nothing created, the answer lost. Their task is listed, recent, and unknown to our
    // config folder; only the recipe beside their output says whose it is.
    ctx.emu.script('submit', ['html502']);
    const ours = await cli(['n.png', '-o', 'out', '--json']);
    expect(ours.stderr).not.toContain('candidates');
    expect(ours.code).toBe(0);
    expect(ctx.emu.submissions()).toBe(2);
  });
});
