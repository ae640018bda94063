// Shared by the benchmarks: spawning the built CLI, temp folders, medians, result rows.
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';

export const ROOT = resolve(import.meta.dirname, '../..');
export const BIN = join(ROOT, 'bin/upscale.js');

/** Variables from the developer's shell that would change the CLI's behaviour. */
const SCRUBBED =
  /^(FREEPIK_API_KEY|MAGNIFIC_API_KEY|COMFY_API_KEY|NOVITA_API_KEY|UPSCALE_.*|FORCE_COLOR|NO_COLOR|NODE_OPTIONS)$/;

/** The environment a benchmark runs the CLI in: the shell's, minus keys and upscale settings. */
export function cleanEnv(extra = {}) {
  /** @type {Record<string, string>} */
  const env = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !SCRUBBED.test(k)) env[k] = v;
  return { ...env, CI: 'true', ...extra };
}

/**
 * Runs `node [nodeArgs] bin/upscale.js args` and resolves when it exits.
 * @param {string[]} args
 * @param {{ env?: Record<string, string>, cwd?: string, nodeArgs?: string[],
 *           onStdoutLine?: (line: string) => void, onSpawn?: (pid: number) => void }} [options]
 * @returns {Promise<{ code: number | null, stdout: string, stderr: string, ms: number }>}
 */
export function runCli(args, options = {}) {
  return new Promise((done, fail) => {
    const started = performance.now();
    const child = spawn(process.execPath, [...(options.nodeArgs ?? []), BIN, ...args], {
      cwd: options.cwd ?? ROOT,
      env: options.env ?? cleanEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    if (child.pid !== undefined) options.onSpawn?.(child.pid);
    let stdout = '';
    let stderr = '';
    let pending = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (/** @type {string} */ d) => {
      stdout += d;
      if (!options.onStdoutLine) return;
      pending += d;
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) options.onStdoutLine(line);
    });
    child.stderr.on('data', (/** @type {Buffer} */ d) => {
      stderr += d;
    });
    child.on('error', fail);
    child.on('close', (code) => done({ code, stdout, stderr, ms: performance.now() - started }));
  });
}

/** Throws with the CLI's stderr when a run did not exit 0 (a benchmark of a failing run means nothing). */
export function assertOk(run, what) {
  if (run.code !== 0) {
    throw new Error(`${what} exited ${run.code}\n${run.stderr.slice(-2000)}`);
  }
  return run;
}

/** A fresh temp folder, removed by the returned cleanup. */
export async function tempDir(prefix = 'upscale-bench-') {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** @param {number[]} values */
export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? /** @type {number} */ (sorted[mid]) : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Milliseconds `fn` takes. @param {() => Promise<unknown> | unknown} fn */
export async function timed(fn) {
  const started = performance.now();
  await fn();
  return performance.now() - started;
}

/**
 * @typedef {object} Row
 * @property {string} bench    which script measured it
 * @property {string} metric   what was measured
 * @property {string} measured the value, with its unit
 * @property {string} baseline the ideal or baseline measured in the same run (or the budget)
 * @property {number} ratio    measured against the baseline, as the target states it
 * @property {'<=' | '>='} op
 * @property {number} limit
 * @property {boolean} pass
 * @property {string} [note]
 */

/**
 * One line of the results table; passes when `ratio op limit`.
 * @param {Omit<Row, 'pass'>} row
 * @returns {Row}
 */
export function row(row) {
  const pass = row.op === '<=' ? row.ratio <= row.limit : row.ratio >= row.limit;
  return { ...row, pass };
}

export const ms = (/** @type {number} */ v) => `${v >= 10_000 ? (v / 1000).toFixed(1) : Math.round(v)} ms`;
export const mb = (/** @type {number} */ bytes) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

/**
 * The environment for a CLI run against the emulator: its URLs and keys, and a config folder
 * (holding the journal) of the run's own.
 * @param {{ apiUrl: string, keys: { freepik: string, novita: string } }} emu
 * @param {string} configDir
 */
export function emulatorEnv(emu, configDir) {
  return cleanEnv({
    UPSCALE_FREEPIK_BASE_URL: emu.apiUrl,
    FREEPIK_API_KEY: emu.keys.freepik,
    UPSCALE_NOVITA_BASE_URL: emu.apiUrl,
    NOVITA_API_KEY: emu.keys.novita,
    UPSCALE_CONFIG_DIR: configDir,
    // The emulator sends no rate-limit headers unless a benchmark turns its limit on.
    UPSCALE_RATE_LIMIT: '6000/min',
  });
}
