/**
 * Issue 24 (smaller items): the table of docs/batches-and-ci.md that says what each output state
 * prints under `--json` matches the lines the CLI prints, with and without `--dry-run`.
 */
import { copyFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { emulatorEnv, IMAGES, runCli, useEmulator } from '../e2e/cli-harness.js';
import { ROOT } from './sandbox.js';

const ctx = useEmulator({ processingMs: 100 });

/** The table's row whose first cell starts with `state`: its `--json` cell, split in two. */
async function documented(state: string): Promise<{ run: string; dryRun: string }> {
  const doc = await readFile(join(ROOT, 'docs/batches-and-ci.md'), 'utf8');
  const row = doc.split('\n').find((l) => l.startsWith(`| ${state}`));
  expect(row, `a row "${state}"`).toBeDefined();
  const cell = row!.split(' | ').at(-1)!.replace(/ \|$/, '');
  // `…` for the run, then `(…)` for --dry-run ("the same": as the run).
  const open = cell.lastIndexOf(' (');
  const run = open === -1 ? cell : cell.slice(0, open);
  const dry = open === -1 ? '' : cell.slice(open + 2, -1);
  return { run, dryRun: dry === 'the same' ? run : dry };
}

/** The JSON fields a line has, as `"key":"value"` fragments (the error's code among them). */
function fragments(stdout: string): string[] {
  if (stdout.trim() === '') return [];
  const line = JSON.parse(stdout.trim().split('\n')[0]!) as Record<string, unknown>;
  const shown = (key: string, value: unknown) => `"${key}":${JSON.stringify(value)}`;
  const out = [shown('status', line.status)];
  if (line.freshness !== undefined) out.push(shown('freshness', line.freshness));
  const error = line.error as { code?: string } | undefined;
  if (error?.code) out.push(shown('code', error.code));
  return out;
}

/** The cell names exactly the fields the line has: each one, and no other freshness or status. */
function expectCell(cell: string, line: string[], where: string): void {
  const named = cell.match(/"(status|freshness|code)":"[a-z-_A-Z]+"/g) ?? [];
  if (line.length === 0) expect(cell, `${where}: no line is printed`).toMatch(/^none/);
  else expect(named.sort(), `${where}: ${cell}`).toEqual([...line].sort());
}

describe('docs/batches-and-ci.md: the --json line of each output state', () => {
  it('matches what upscale prints', async () => {
    const env = { ...emulatorEnv(ctx.emu), UPSCALE_CONFIG_DIR: join(ctx.dir, 'cfg') };
    const input = join(ctx.dir, 'a.jpg');
    await copyFile(join(IMAGES, 'photo.jpg'), input);
    const run = async (...extra: string[]) =>
      fragments((await runCli(['a.jpg', '-o', 'out', '--json', ...extra], { cwd: ctx.dir, env })).stdout);
    const check = async (state: string, extra: string[] = []) => {
      const doc = await documented(state);
      expectCell(doc.dryRun, await run('--dry-run', ...extra), `${state} (--dry-run)`);
      expectCell(doc.run, await run(...extra), state);
    };
    await check('does not exist');
    await check('exists, same input bytes, same recipe');
    await sharp(await readFile(input))
      .flop()
      .toFile(input);
    await check('exists, the input changed');
    await check('exists, made with another recipe', ['--engine', 'sparkle']);
    // An output there before recipes were kept: no record of it.
    await sharp(await readFile(input))
      .flip()
      .toFile(input);
    await copyFile(join(IMAGES, 'photo.jpg'), join(ctx.dir, 'out', 'b@2x.png'));
    await copyFile(input, join(ctx.dir, 'b.jpg'));
    const doc = await documented('exists, made before recipes existed');
    const old = async (...extra: string[]) =>
      fragments((await runCli(['b.jpg', '-o', 'out', '--json', ...extra], { cwd: ctx.dir, env })).stdout);
    expectCell(doc.dryRun, await old('--dry-run'), 'no record (--dry-run)');
    expectCell(doc.run, await old(), 'no record');
  });
});
