/** Runs the real built CLI (bin/upscale.js) as a child process, with a clean environment. */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { startEmulator } from '../../fixtures/emulator/index.js';

export const BIN = resolve(import.meta.dirname, '../../bin/upscale.js');
export const IMAGES = resolve(import.meta.dirname, '../../fixtures/images');

export interface CliRun {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface CliOptions {
  readonly env?: Record<string, string | undefined>;
  readonly cwd?: string;
  readonly stdin?: string;
  /** Called once the child started (e.g. to send it a signal later). */
  readonly onSpawn?: (child: import('node:child_process').ChildProcess) => void;
}

/** Variables from the developer's shell that would change the CLI's behaviour. */
const SCRUBBED =
  /^(FREEPIK_API_KEY|MAGNIFIC_API_KEY|COMFY_API_KEY|NOVITA_API_KEY|UPSCALE_.*|EMULATOR_.*|FORCE_COLOR|NO_COLOR)$/;

/** The environment of this process without what would change the CLI's behaviour. */
export function scrubbedEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !SCRUBBED.test(k)) env[k] = v;
  return env;
}

/** Spawns a command and collects its output (stdin: `stdin`, else none). */
export function spawnCollect(
  command: string,
  args: readonly string[],
  options: { cwd?: string | undefined; env: Record<string, string>; stdin?: string; timeout?: number } & Pick<
    CliOptions,
    'onSpawn'
  >,
): Promise<CliRun> {
  return new Promise((resolvePromise, reject) => {
    // No stdin pipe unless there is something to send: ending one that a quick child already
    // closed throws EPIPE. Without one the child reads an empty stdin all the same.
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env,
      stdio: [options.stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      ...(options.timeout ? { timeout: options.timeout } : {}),
    });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => {
      stdout += d;
    });
    child.stderr!.on('data', (d: Buffer) => {
      stderr += d;
    });
    child.on('error', reject);
    child.on('close', (code, signal) => resolvePromise({ code, signal, stdout, stderr }));
    if (options.stdin !== undefined) child.stdin?.end(options.stdin);
    options.onSpawn?.(child);
  });
}

export function runCli(args: string[], options: CliOptions = {}): Promise<CliRun> {
  const env = scrubbedEnv();
  for (const [k, v] of Object.entries(options.env ?? {})) if (v !== undefined) env[k] = v;
  env.CI = 'true';
  // Each run's config and journal stay in its own folder unless a test says otherwise.
  env.UPSCALE_CONFIG_DIR ??= join(options.cwd ?? tmpdir(), '.upscale-config');
  // …and so does what `upscale local add-…` installs: a user's onnxruntime-node never joins a test.
  env.UPSCALE_DATA_DIR ??= join(options.cwd ?? tmpdir(), '.upscale-data');
  return spawnCollect(process.execPath, [BIN, ...args], {
    cwd: options.cwd,
    env,
    ...(options.stdin !== undefined ? { stdin: options.stdin } : {}),
    ...(options.onSpawn ? { onSpawn: options.onSpawn } : {}),
  });
}

export async function tempDir(prefix = 'upscale-e2e-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

/**
 * An `onSpawn` that sends `signal` to the CLI once the emulator has created `count` tasks (a
 * run stopped at a known point: its tasks paid, their results not yet written).
 */
export function signalWhenSubmitted(
  emu: Pick<Emulator, 'submissions'>,
  count: number,
  signal: NodeJS.Signals,
): NonNullable<CliOptions['onSpawn']> {
  return (child) => {
    const timer = setInterval(() => {
      if (emu.submissions() >= count) {
        clearInterval(timer);
        child.kill(signal);
      }
    }, 5);
    child.on('exit', () => clearInterval(timer));
  };
}

/**
 * `count` small distinct PNGs in `dir` (made when missing): each a colour and a width of its own,
 * so pictures and sizes tell them apart. Named p0.png, p1.png, … unless `name` says otherwise.
 */
export async function writePngs(
  dir: string,
  count: number,
  shape: { width?: number; height?: number; name?: (i: number) => string } = {},
): Promise<string> {
  const { width = 40, height = 30, name = (i: number) => `p${i}.png` } = shape;
  await mkdir(dir, { recursive: true });
  for (let i = 0; i < count; i++) {
    const background = `#${((i * 37) % 256).toString(16).padStart(2, '0')}6080`;
    await sharp({ create: { width: width + i, height, channels: 3, background } })
      .png()
      .toFile(join(dir, name(i)));
  }
  return dir;
}

/** The JSON lines a run printed on stdout. */
export function jsonLines(stdout: string): Record<string, unknown>[] {
  return stdout
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** Every provider's API root and key pointed at an emulator. */
export function emulatorEnv(emu: { apiUrl: string; keys: Record<'freepik' | 'comfy' | 'novita', string> }) {
  return {
    UPSCALE_FREEPIK_BASE_URL: emu.apiUrl,
    UPSCALE_MAGNIFIC_BASE_URL: emu.apiUrl,
    UPSCALE_COMFY_BASE_URL: emu.apiUrl,
    UPSCALE_NOVITA_BASE_URL: emu.apiUrl,
    FREEPIK_API_KEY: emu.keys.freepik,
    COMFY_API_KEY: emu.keys.comfy,
    NOVITA_API_KEY: emu.keys.novita,
    // The emulator sends no rate-limit headers unless a test turns its limit on: no budget waits.
    UPSCALE_RATE_LIMIT: '6000/min',
  };
}

export type Emulator = Awaited<ReturnType<typeof startEmulator>>;
type EmulatorOptions = NonNullable<Parameters<typeof startEmulator>[0]>;

/**
 * One emulator for a test file, reset before each test to `options` (faults off), and a fresh
 * temp folder per test: `ctx.emu` and `ctx.dir` always name the current test's.
 */
export function useEmulator(options: EmulatorOptions, prefix?: string): EmulatorContext {
  let emu: Emulator | undefined;
  let dir: string | undefined;
  beforeAll(async () => {
    emu = await startEmulator(options);
  });
  afterAll(async () => {
    await emu?.close();
  });
  beforeEach(async () => {
    // reset() keeps options: every knob the last test turned goes back to how it started.
    emu!.reset();
    emu!.restoreOptions();
    dir = await tempDir(prefix);
  });
  return {
    get emu() {
      return emu!;
    },
    get dir() {
      return dir!;
    },
  };
}

export interface EmulatorContext {
  readonly emu: Emulator;
  readonly dir: string;
}
