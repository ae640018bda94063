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
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, emulatorEnv, useEmulator, writePngs } from './cli-harness.js';

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

/** Issue 24, Must 10: a newcomer's first batch in a real terminal, round 2. */
async function startTmux(command: string, cols: number, rows = 50): Promise<string> {
  const session = `upscale-test-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2, 6)}`;
  await run('tmux', ['new-session', '-d', '-s', session, '-x', String(cols), '-y', String(rows), command]);
  return session;
}

async function screenOf(session: string): Promise<string> {
  const { stdout } = await run('tmux', ['capture-pane', '-p', '-J', '-t', session, '-S', '-500']);
  return stdout;
}

/** Polls the screen every 20 ms until `done` holds; returns it and when. */
async function waitForScreen(session: string, done: (screen: string) => boolean, ms = 60_000) {
  const started = Date.now();
  for (;;) {
    const screen = await screenOf(session);
    if (done(screen)) return { screen, at: Date.now() };
    if (Date.now() - started > ms) throw new Error(`not seen within ${ms} ms:\n${screen}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const pngs = (folder: string, count: number) =>
  writePngs(folder, count, { name: (i: number) => `img${String(i).padStart(2, '0')}.png` });

/** The CLI in `ctx.dir` with the emulator's variables (no CI, so the terminal is a terminal). */
function cliCommand(args: string, extraEnv: Record<string, string> = {}): string {
  const env = Object.entries({
    ...emulatorEnv(ctx.emu),
    UPSCALE_CONFIG_DIR: join(ctx.dir, 'cfg'),
    ...extraEnv,
  })
    .map(([k, v]) => `${k}=${shellQuote(String(v))}`)
    .join(' ');
  // The shell runs a trap on Ctrl-C (its child gets the default action back): it lives on to say DONE.
  return `trap 'true' INT; cd ${shellQuote(ctx.dir)} && env -u CI ${env} ${shellQuote(process.execPath)} ${shellQuote(BIN)} ${args}; echo "DONE EXIT=$?"; sleep 60; true`;
}

const kill = (session: string) => run('tmux', ['kill-session', '-t', session]).catch(() => undefined);

describe('a newcomer’s first batch in a real terminal (issue 24)', () => {
  // A session of its own keeps the tmux server up: killing a test's last session stops the
  // server, and a session started meanwhile went down with it.
  const keeper = `upscale-keep-${process.pid}`;
  beforeAll(() => run('tmux', ['new-session', '-d', '-s', keeper, 'sleep 600']));
  afterAll(() => kill(keeper));

  it.each([[80], [100], [120]])(
    'at %i columns: 20 inputs into a 120-character folder, no warning, no output cut',
    async (cols) => {
      await pngs(join(ctx.dir, 'in'), 20);
      const out = `out-${'o'.repeat(110)}`.slice(0, 120);
      const session = await startTmux(cliCommand(`in -o ${out} --poll-interval 100`), cols);
      try {
        const { screen } = await waitForScreen(session, (s) => s.includes('DONE EXIT='));
        const lines = screen.split('\n').map((l) => l.trimEnd());
        expect(lines.filter((l) => l.includes('(node:'))).toEqual([]);
        // Each path whole, on a line of its own (-J joins what the terminal wrapped).
        const printed = lines.filter((l) => l.startsWith(`${out}/img`));
        expect(printed.sort()).toEqual(
          Array.from({ length: 20 }, (_, i) => `${out}/img${String(i).padStart(2, '0')}@2x.png`),
        );
        expect(lines).toContain('DONE EXIT=0');
      } finally {
        await kill(session);
      }
    },
  );

  it('`upscale providers` and `upscale status` at 80 columns: lines wrap at spaces, no word is cut', async () => {
    // A pending task with a long input name for `upscale status`.
    const long = `in-${'a'.repeat(30)} photo from the summer holidays by the sea`;
    await pngs(join(ctx.dir, long), 1);
    ctx.emu.set({ processingMs: 60_000 });
    const first = await startTmux(cliCommand(`${shellQuote(long)} -o out --poll-interval 100`), 80);
    try {
      await waitForScreen(first, () => ctx.emu.submissions() >= 1);
      await run('tmux', ['send-keys', '-t', first, 'C-c']);
      await waitForScreen(first, (s) => s.includes('DONE EXIT=130'), 5000);
    } finally {
      await kill(first);
    }
    for (const args of ['providers', 'status']) {
      const session = await startTmux(cliCommand(args), 80, 400);
      try {
        await waitForScreen(session, (s) => s.includes('DONE EXIT=0'));
        // Rows as the terminal shows them (no -J): a row as wide as the terminal is one it broke.
        const { stdout } = await run('tmux', ['capture-pane', '-p', '-t', session, '-S', '-2000']);
        const rows = stdout.split('\n');
        expect(
          rows.filter((r) => r.length >= 80),
          `${args}:\n${stdout}`,
        ).toEqual([]);
        if (args === 'status') expect(stdout).toContain('photo from the summer');
        else expect(stdout).toContain('--optimized-for <style>');
      } finally {
        await kill(session);
      }
    }
  });

  it('a double Ctrl-C: "stopping" at once, then out at once with the cursor shown and autowrap on', async () => {
    await pngs(join(ctx.dir, 'in'), 20);
    // A submit on the wire holds the first Ctrl-C's exit (its answer is let come): the second ends it.
    ctx.emu.script('submit', [{}, { delayMs: 20_000 }]);
    const session = await startTmux(cliCommand('in -o out --poll-interval 100'), 100);
    try {
      await waitForScreen(session, () => ctx.emu.requests.filter((r) => r.route === 'submit').length >= 2);
      const first = Date.now();
      await run('tmux', ['send-keys', '-t', session, 'C-c']);
      const { at } = await waitForScreen(session, (s) => s.includes('stopping: '), 5000);
      expect(at - first, 'first answer to Ctrl-C (ms, tmux polling included)').toBeLessThan(500);
      const second = Date.now();
      await run('tmux', ['send-keys', '-t', session, 'C-c']);
      const { screen, at: done } = await waitForScreen(session, (s) => s.includes('DONE EXIT='), 5000);
      expect(screen).toContain('DONE EXIT=130');
      expect(done - second, 'exit after the second Ctrl-C (ms)').toBeLessThan(800);
      const { stdout } = await run('tmux', ['display', '-p', '-t', session, '#{cursor_flag} #{wrap_flag}']);
      expect(stdout.trim(), 'cursor visible, autowrap on').toBe('1 1');
    } finally {
      await kill(session);
    }
  });

  it('a wrong key over 30 inputs: at most 3 submits, the cause said once', async () => {
    await pngs(join(ctx.dir, 'in'), 30);
    const session = await startTmux(cliCommand('in -o out', { FREEPIK_API_KEY: 'wrong-key' }), 100);
    try {
      const { screen } = await waitForScreen(session, (s) => s.includes('DONE EXIT='));
      // Exit 1: the request that learnt the key was refused was sent (7741b1d, docs/cli.md).
      expect(screen).toContain('DONE EXIT=1');
      expect(ctx.emu.requests.filter((r) => r.route === 'submit').length).toBeLessThanOrEqual(3);
      expect(
        screen.split('\n').filter((l) => l.startsWith('stopping: the provider refused the API key')),
      ).toHaveLength(1);
      expect(screen).toMatch(/30 inputs not sent/);
      const { stdout } = await run('tmux', ['display', '-p', '-t', session, '#{cursor_flag} #{wrap_flag}']);
      expect(stdout.trim()).toBe('1 1');
    } finally {
      await kill(session);
    }
  });

  it('a re-run after Ctrl-C says it is collecting; `upscale resume` shows the bar and the summary', async () => {
    await pngs(join(ctx.dir, 'in'), 20);
    ctx.emu.set({ processingMs: 2000 });
    for (const [out, again] of [
      ['out', 'in -o out --poll-interval 100'],
      ['again', 'resume'],
    ] as const) {
      const first = await startTmux(cliCommand(`in -o ${out} --poll-interval 100`), 100);
      try {
        await waitForScreen(first, () => ctx.emu.submissions() >= (out === 'out' ? 20 : 40));
        await run('tmux', ['send-keys', '-t', first, 'C-c']);
        await waitForScreen(first, (s) => s.includes('DONE EXIT=130'), 5000);
      } finally {
        await kill(first);
      }
      const second = await startTmux(cliCommand(again), 100);
      try {
        const { screen } = await waitForScreen(second, (s) => s.includes('DONE EXIT='));
        const lines = screen.split('\n').map((l) => l.trimEnd());
        expect(lines).toContain('collecting 20 tasks already paid for (nothing is paid twice)');
        expect(
          lines.some((l) => /^summary: 20 succeeded, 0 skipped, 0 failed \(of 20\)/.test(l)),
          screen,
        ).toBe(true);
        // The bar, not a plain line per state change.
        expect(
          lines.some((l) => /[█░]/.test(l)),
          screen,
        ).toBe(true);
        expect(lines.filter((l) => / queued after /.test(l))).toEqual([]);
        expect(lines).toContain('DONE EXIT=0');
      } finally {
        await kill(second);
      }
    }
    expect(ctx.emu.submissions()).toBe(40);
  });
});
