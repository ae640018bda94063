/**
 * Issue 24: a newcomer's first batch, round 2 — each item checked through the built CLI against
 * the emulator (the terminal's own items are in terminal.test.ts).
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { emulatorEnv, jsonLines, runCli, useEmulator } from './cli-harness.js';

const ctx = useEmulator({ processingMs: 300 });

/** `count` small distinct PNGs in `<dir>/<folder>/`. */
async function images(folder: string, count: number): Promise<string> {
  const dir = join(ctx.dir, folder);
  await mkdir(dir, { recursive: true });
  for (let i = 0; i < count; i++) {
    await sharp({
      create: {
        width: 40 + i,
        height: 30,
        channels: 3,
        background: `#${(i * 6).toString(16).padStart(2, '0')}6080`,
      },
    })
      .png()
      .toFile(join(dir, `img${String(i).padStart(2, '0')}.png`));
  }
  return dir;
}

const env = () => ({ ...emulatorEnv(ctx.emu), UPSCALE_CONFIG_DIR: join(ctx.dir, 'cfg') });
/** What Node prints of its own (warnings, deprecations): never, in any command. */
const nodeLines = (stderr: string) => stderr.split('\n').filter((l) => l.startsWith('(node:'));

describe('Must 1: no Node warning', () => {
  it('a 40-input batch and a 40-input resume print no (node: line', async () => {
    await images('in', 40);
    const args = ['in', '-o', 'out', '--poll-interval', '100'];
    const batch = await runCli(args, { cwd: ctx.dir, env: env() });
    expect(nodeLines(batch.stderr)).toEqual([]);
    expect(batch.code).toBe(0);
    expect(batch.stdout.trim().split('\n')).toHaveLength(40);

    // A resume of 40 paid tasks: the first run stops once all are submitted.
    ctx.emu.set({ processingMs: 4000 });
    const stopped = await runCli(['in', '-o', 'again', '--poll-interval', '100'], {
      cwd: ctx.dir,
      env: env(),
      onSpawn: (child) => {
        const timer = setInterval(() => {
          if (ctx.emu.submissions() >= 80) {
            clearInterval(timer);
            child.kill('SIGINT');
          }
        }, 10);
        child.on('exit', () => clearInterval(timer));
      },
    });
    expect(stopped.code).toBe(130);
    expect(nodeLines(stopped.stderr)).toEqual([]);
    const resumed = await runCli(['resume', '--json'], { cwd: ctx.dir, env: env() });
    expect(nodeLines(resumed.stderr)).toEqual([]);
    expect(jsonLines(resumed.stdout).filter((l) => l.status === 'succeeded')).toHaveLength(40);
    expect(resumed.code).toBe(0);
    expect(ctx.emu.submissions()).toBe(80);
  }, 120_000);
});
