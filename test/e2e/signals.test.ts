/**
 * Issue 23, item 18: signals and pipes. A closed terminal (SIGHUP) stops a run as Ctrl-C does; a
 * reader of stdout that leaves (`--json | head -1`) stops it too, with what is pending said and a
 * non-zero exit; a closed stderr is no crash; an interrupted `upscale resume` says what it kept;
 * the same command names a moved input's paid task; a name with a newline forges no line.
 */
import { mkdir, rename } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import {
  emulatorEnv,
  jsonLines,
  runCli,
  signalWhenSubmitted,
  useEmulator,
  writePngs,
} from './cli-harness.js';

const ctx = useEmulator({ processingMs: 300 });

/** `count` distinct PNGs, big enough for every provider (Comfy: 160 px at least). */
const images = (folder: string, count: number) =>
  writePngs(join(ctx.dir, folder), count, { width: 200, height: 170, name: (i) => `img${i}.png` });

const env = () => ({ ...emulatorEnv(ctx.emu), UPSCALE_CONFIG_DIR: join(ctx.dir, 'cfg') });
const submits = () => ctx.emu.requests.filter((r) => r.route === 'submit');

/** `upscale status --json`: what the ledgers hold. */
async function pending(): Promise<Record<string, unknown>[]> {
  const run = await runCli(['status', '--json'], { cwd: ctx.dir, env: env() });
  expect(run.code, run.stderr).toBe(0);
  return jsonLines(run.stdout);
}

describe('SIGHUP (a closed terminal, a dropped ssh)', () => {
  it('is a Ctrl-C nobody typed: the submits on the wire are recorded, exit 129, and it says so', async () => {
    await images('in', 4);
    // Comfy has no task list: a submit cut off unanswered would be SUBMIT_UNCERTAIN for good.
    ctx.emu.set({ processingMs: 5000 });
    ctx.emu.script('submit', [{ delayMs: 300 }, { delayMs: 700 }, { delayMs: 700 }, { delayMs: 700 }]);
    const run = await runCli(['in', '-o', 'out', '-p', 'comfy', '--poll-interval', '100'], {
      cwd: ctx.dir,
      env: env(),
      onSpawn: (child) => {
        const timer = setInterval(() => {
          // The first answer came, and the three others are on the wire.
          if (
            submits().filter((r) => r.status === 0).length >= 3 &&
            submits().some((r) => r.status === 200)
          ) {
            clearInterval(timer);
            child.kill('SIGHUP');
          }
        }, 10);
        child.on('exit', () => clearInterval(timer));
      },
    });
    expect(run.signal, run.stderr).toBeNull();
    expect(run.code, run.stderr).toBe(129);
    expect(run.stderr).toMatch(/^stopping \(the terminal closed: SIGHUP\): /m);
    expect(run.stderr).toMatch(/^interrupted: 0 of 4 inputs finished; 4 submitted tasks are kept/m);
    // Every task the provider made is in the ledger by its id: none uncertain.
    const left = await pending();
    expect(left.map((p) => p.state)).toEqual(['submitted', 'submitted', 'submitted', 'submitted']);
    expect(left.every((p) => typeof p.taskId === 'string')).toBe(true);
    // The same command collects them without paying again.
    ctx.emu.set({ processingMs: 100 });
    const again = await runCli(['in', '-o', 'out', '-p', 'comfy', '--poll-interval', '100'], {
      cwd: ctx.dir,
      env: env(),
    });
    expect(again.code, again.stderr).toBe(0);
    expect(ctx.emu.submissions()).toBe(4);
  });
});

describe('stdout closed by its reader (`upscale --json | head -1`)', () => {
  it('stops sending, keeps the ledger, says what is pending on stderr and exits 141', async () => {
    await images('in', 6);
    // One task ends soon (its line is the one the reader takes), a second a little later (its line
    // meets the closed pipe: a writer learns it then); the others are paid and slow.
    ctx.emu.script('outcome', [
      { processingMs: 200 },
      { processingMs: 1500 },
      ...Array.from({ length: 4 }, () => ({ processingMs: 60_000 })),
    ]);
    let lines = 0;
    const run = await runCli(['in', '-o', 'out', '--json', '--poll-interval', '100', '--concurrency', '6'], {
      cwd: ctx.dir,
      env: env(),
      onSpawn: (child) => {
        child.stdout?.on('data', () => {
          // `head -1`: one line read, then gone.
          if (++lines === 1) child.stdout?.destroy();
        });
      },
    });
    expect(run.code, run.stderr).toBe(141);
    expect(run.stderr).toMatch(
      /^stopping \(stdout closed: its reader left, so no other input is sent\): 4 submitted tasks kept in the ledger/m,
    );
    expect(run.stderr).toMatch(
      /^interrupted: 2 of 6 inputs finished; 4 submitted tasks are kept in the ledger/m,
    );
    expect(await pending()).toHaveLength(4);
    expect(ctx.emu.submissions()).toBe(6);
  });
});

describe('stderr closed', () => {
  it('is no crash: the run ends, writes every output and prints every path', async () => {
    await images('in', 4);
    const run = await runCli(['in', '-o', 'out', '--poll-interval', '100'], {
      cwd: ctx.dir,
      env: env(),
      onSpawn: (child) => {
        child.stderr?.once('data', () => child.stderr?.destroy());
      },
    });
    expect(run.code).toBe(0);
    expect(run.stdout.trim().split('\n').sort()).toEqual([0, 1, 2, 3].map((i) => `out/img${i}@2x.png`));
  });
});

describe('`upscale resume` interrupted', () => {
  it.each([
    ['SIGINT', 130, 'stopping: '],
    ['SIGHUP', 129, 'stopping (the terminal closed: SIGHUP): '],
  ] as const)('by %s says what it kept (exit %i)', async (signal, code, stopping) => {
    await images('in', 3);
    ctx.emu.set({ processingMs: 60_000 });
    // Paid tasks left by a run stopped once all three were submitted.
    const first = await runCli(['in', '-o', 'out', '--poll-interval', '100'], {
      cwd: ctx.dir,
      env: env(),
      onSpawn: signalWhenSubmitted(ctx.emu, 3, 'SIGINT'),
    });
    expect(first.code, first.stderr).toBe(130);
    const polls = () => ctx.emu.requests.filter((r) => r.route === 'status' || r.route === 'list').length;
    const before = polls();
    const resume = await runCli(['resume'], {
      cwd: ctx.dir,
      env: env(),
      onSpawn: (child) => {
        const timer = setInterval(() => {
          // Collecting: it asked the provider about them.
          if (polls() >= before + 2) {
            clearInterval(timer);
            child.kill(signal);
          }
        }, 10);
        child.on('exit', () => clearInterval(timer));
      },
    });
    expect(resume.signal, resume.stderr).toBeNull();
    expect(resume.code, resume.stderr).toBe(code);
    expect(resume.stderr).toContain(`${stopping}3 submitted tasks kept in the ledger`);
    expect(resume.stderr).toMatch(
      /^interrupted: 0 of 3 inputs finished; 3 submitted tasks are kept in the ledger/m,
    );
    expect(await pending()).toHaveLength(3);
  });
});

describe('a name holding a newline', () => {
  it('forges no line in `upscale status` or `upscale forget`', async () => {
    const forged = 'in/x.png\nfake-task  freepik  submitted  evil.png  (since now)';
    await mkdir(join(ctx.dir, 'in'), { recursive: true });
    await sharp({ create: { width: 200, height: 170, channels: 3, background: '#336699' } })
      .png()
      .toFile(join(ctx.dir, `${forged}.png`));
    ctx.emu.set({ processingMs: 60_000 });
    const first = await runCli([`${forged}.png`, '-o', 'out', '--poll-interval', '100'], {
      cwd: ctx.dir,
      env: env(),
      onSpawn: signalWhenSubmitted(ctx.emu, 1, 'SIGINT'),
    });
    expect(first.code, first.stderr).toBe(130);
    const status = await runCli(['status'], { cwd: ctx.dir, env: env() });
    expect(status.code).toBe(0);
    const lines = status.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('in/x.png\\nfake-task  freepik');
    expect(status.stdout).not.toMatch(/^fake-task/m);
    // JSON keeps the name exact.
    const [entry] = await pending();
    expect(entry?.input).toBe(`${forged}.png`);
    const forget = await runCli(['forget', `${forged}.png`], { cwd: ctx.dir, env: env() });
    expect(forget.stderr).not.toMatch(/^fake-task/m);
    expect(forget.stderr.trimEnd().split('\n')).toHaveLength(1);
  });
});

describe('an input moved while its task is pending', () => {
  it('is named by the same command, which does not collect it', async () => {
    await images('in', 2);
    // Long enough to be pending after Ctrl-C, short enough for the re-run to collect img1's.
    ctx.emu.set({ processingMs: 3000 });
    const args = ['in', '-o', 'out', '--poll-interval', '100'];
    const first = await runCli(args, {
      cwd: ctx.dir,
      env: env(),
      onSpawn: signalWhenSubmitted(ctx.emu, 2, 'SIGINT'),
    });
    expect(first.code, first.stderr).toBe(130);
    const taskOf = async (input: string) => (await pending()).find((p) => p.input === input)?.taskId;
    const task = await taskOf('in/img0.png');
    expect(task).toBeDefined();
    await rename(join(ctx.dir, 'in/img0.png'), join(ctx.dir, 'in/moved.png'));
    ctx.emu.set({ processingMs: 100 });
    const again = await runCli(args, { cwd: ctx.dir, env: env() });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toContain(
      `warning: 1 paid task is pending in this output folder for inputs no longer there (moved or renamed?): in/img0.png (task ${task}); this run does not collect them`,
    );
    // Still pending: the moved picture was sent as a new input; nothing else was lost.
    expect((await pending()).map((p) => p.input)).toEqual(['in/img0.png']);
    // …and `upscale resume` collects it, as the warning says.
    const resume = await runCli(['resume'], { cwd: ctx.dir, env: env() });
    expect(resume.code, resume.stderr).toBe(0);
    expect(resume.stdout.trim()).toBe(join(ctx.dir, 'out/img0@2x.png'));
    expect(await pending()).toEqual([]);
  });
});
