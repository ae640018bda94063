/**
 * Issue 14: terminal output tested in a real terminal. The built CLI runs inside tmux at a fixed
 * size (stdout and stderr both the terminal, as by default); the screen is captured after a batch
 * with successes, a skip and a failure, and checked: no line holds two paths or a path glued to
 * the progress bar, the summary is whole, and the shell's next output lands below it.
 */
import { execFile } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { BIN, emulatorEnv, useEmulator } from './cli-harness.js';

const run = promisify(execFile);

const ctx = useEmulator({ processingMs: 400 });

const shellQuote = (s: string) => `'${s.replaceAll("'", "'\\''")}'`;

/** Runs `command` in a detached tmux session of `cols`×`rows` and returns the screen once it printed DONE. */
async function inTmux(command: string, cols: number, rows: number): Promise<string> {
  const session = `upscale-test-${process.pid}-${Date.now()}`;
  await run('tmux', ['new-session', '-d', '-s', session, '-x', String(cols), '-y', String(rows), command]);
  try {
    for (let waited = 0; waited < 60_000; waited += 200) {
      await new Promise((r) => setTimeout(r, 200));
      const { stdout } = await run('tmux', ['capture-pane', '-p', '-J', '-t', session, '-S', '-200']);
      if (stdout.includes('DONE EXIT=')) return stdout;
    }
    throw new Error('the command did not finish in tmux within 60 s');
  } finally {
    await run('tmux', ['kill-session', '-t', session]).catch(() => undefined);
  }
}

async function batch(): Promise<void> {
  await mkdir(join(ctx.dir, 'batch'));
  await mkdir(join(ctx.dir, 'out'));
  for (let i = 0; i < 12; i++) {
    await sharp({
      create: {
        width: 40 + i,
        height: 30,
        channels: 3,
        background: `#${(i * 20).toString(16).padStart(2, '0')}6080`,
      },
    })
      .png()
      .toFile(join(ctx.dir, 'batch', `img${String(i).padStart(2, '0')}.png`));
  }
  // One output already there (a skip); one task the provider fails.
  await sharp({ create: { width: 80, height: 60, channels: 3, background: '#000' } })
    .png()
    .toFile(join(ctx.dir, 'out', 'img03@2x.png'));
}

describe('a batch in a real terminal', () => {
  it.each([[80], [100], [120]])(
    'at %i columns the screen stays clean and the summary intact',
    async (cols) => {
      await batch();
      ctx.emu.script('outcome', ['COMPLETED', 'COMPLETED', 'FAILED']);
      const env = Object.entries({ ...emulatorEnv(ctx.emu), UPSCALE_CONFIG_DIR: join(ctx.dir, 'cfg') })
        .map(([k, v]) => `${k}=${shellQuote(String(v))}`)
        .join(' ');
      const cli = `${shellQuote(process.execPath)} ${shellQuote(BIN)} batch -o out --concurrency 3 --poll-interval 100`;
      const command = `cd ${shellQuote(ctx.dir)} && env -u CI ${env} ${cli}; echo "DONE EXIT=$?"; sleep 60`;
      const screen = await inTmux(command, cols, 50);
      const lines = screen.split('\n').map((l) => l.trimEnd());
      const paths = (l: string) => (l.match(/out\/img\d\d@2x\.png/g) ?? []).length;
      for (const line of lines) {
        expect(paths(line), `two paths on one line: ${line}`).toBeLessThanOrEqual(1);
        if (paths(line) === 1) expect(line, 'a path glued to the bar').not.toMatch(/[█░]|\| failed|ETA/);
      }
      // Every written or skipped output printed once, on a line of its own.
      const printed = lines.filter((l) => /^out\/img\d\d@2x\.png$/.test(l));
      expect(printed).toHaveLength(11);
      const summary = lines.findIndex((l) => /^summary: 10 succeeded, 1 skipped, 1 failed \(of 12\)/.test(l));
      expect(summary, screen).toBeGreaterThan(0);
      expect(lines[summary + 1]).toMatch(/^ {2}✗ batch\/img\d\d\.png: TASK_FAILED/);
      const exit = lines.indexOf('DONE EXIT=1');
      expect(exit).toBeGreaterThan(summary);
      // The final bar stays above the paths' end, never below the summary.
      const barLines = lines.map((l, i) => ({ l, i })).filter(({ l }) => /[█░]/.test(l));
      for (const { i } of barLines) expect(i).toBeLessThan(summary);
    },
  );
});
