/**
 * Where the documented commands run: the emulator started the way the README says (`npm run
 * emulator`, its `export` lines as the environment), and a fresh folder per block holding the
 * files the docs name (photo.jpg, photos/, shots/, …), with `upscale` on the PATH.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, copyFile, cp, mkdir, mkdtemp, readFile, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import sharp from 'sharp';
import { BIN, IMAGES, scrubbedEnv, spawnCollect } from '../e2e/cli-harness.js';

export const ROOT = resolve(import.meta.dirname, '../..');

export interface DocEmulator {
  /** The variables `npm run emulator` told the reader to export. */
  readonly env: Readonly<Record<string, string>>;
  stop(): Promise<void>;
}

/** Runs the `emulator` script of package.json (`node fixtures/emulator/cli.js --print-env`). */
export async function startDocEmulator(): Promise<DocEmulator> {
  const pkg = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as {
    scripts: Record<string, string>;
  };
  const [program, ...args] = (pkg.scripts.emulator ?? '').split(/\s+/);
  if (program !== 'node') throw new Error(`the emulator script should run node: ${pkg.scripts.emulator}`);
  const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  const env = await new Promise<Record<string, string>>((resolvePromise, reject) => {
    let out = '';
    let err = '';
    const fail = (why: string) => reject(new Error(`npm run emulator: ${why}\n${out}${err}`));
    child.stdout.on('data', (d: Buffer) => {
      out += d;
      const vars = exportsIn(out);
      if ('EMULATOR_IMAGES' in vars) resolvePromise(vars);
    });
    child.stderr.on('data', (d: Buffer) => {
      err += d;
    });
    child.on('error', (e) => fail(e.message));
    child.on('exit', (code) => fail(`exited with ${code} before printing its exports`));
  });
  return { env, stop: () => stopChild(child) };
}

/** `export NAME=value` lines (values plain or single-quoted) → variables. */
export function exportsIn(text: string): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const m of text.matchAll(/^export ([A-Z_][A-Z0-9_]*)=(.*)$/gm)) {
    const raw = m[2] ?? '';
    vars[m[1] ?? ''] = raw.startsWith("'") ? raw.slice(1, -1).replaceAll("'\\''", "'") : raw;
  }
  return vars;
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolvePromise) => {
    child.once('exit', () => resolvePromise());
    child.kill('SIGTERM');
  });
}

/** A folder on the PATH whose `upscale` runs this checkout's bin/upscale.js. */
export async function makeShimDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'upscale-docs-bin-'));
  const shim = join(dir, 'upscale');
  await writeFile(shim, `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(BIN)} "$@"\n`);
  await chmod(shim, 0o755);
  return dir;
}

/**
 * What a reader has after cloning and `npm install`: a fresh folder holding every file git tracks
 * (as they are in this work tree, so an edited README is what runs), with `node_modules/` and
 * `dist/` linked to this checkout's (what `npm install` made). Nothing else: no sample file that
 * the clone does not hold.
 */
export async function makeClone(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'upscale-clone-'));
  const tracked = execFileSync('git', ['ls-files', '-z'], { cwd: ROOT, encoding: 'utf8' })
    .split('\0')
    .filter(Boolean);
  if (tracked.length === 0) throw new Error(`git ls-files found no file in ${ROOT}`);
  for (const file of tracked) {
    // A tracked file deleted in the work tree is not in the clone to be.
    if (!existsSync(join(ROOT, file))) continue;
    await mkdir(dirname(join(dir, file)), { recursive: true });
    await copyFile(join(ROOT, file), join(dir, file));
  }
  for (const folder of ['node_modules', 'dist']) await symlink(join(ROOT, folder), join(dir, folder), 'dir');
  return dir;
}

export const WEBHOOK = {
  secret: 'doc-test-webhook-secret',
  id: 'msg_2mB3xZ9dVh4eQkP7',
  body: '{"task_id":"a1b2c3d4","status":"COMPLETED","generated":["https://cdn.example.com/a.png"]}',
};

/**
 * A fresh folder with what the docs' commands name:
 * - the sample images at the top (`photo.jpg` 320×240, `small.png`, `alpha.png`, …) and under
 *   `fixtures/images/` (the README's commands run from a clone);
 * - `IMG_0042.jpg` (EXIF-rotated, with tags), `logo.png` (alpha), `pano.png` (640×160);
 * - `photos/cat.jpg`, `photos/dog.png`, `photos/trip/beach.jpg`;
 * - `shots/big.jpg` (1400×1000), `shots/cat.jpg`, `shots/fox.jpg` (320×240);
 * - `stamp` (older than everything), `body.json` (a signed webhook body), `tmp/` (for `/tmp/`).
 */
export async function makeSandbox(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'upscale-docs-'));
  await cp(IMAGES, join(dir, 'fixtures/images'), { recursive: true });
  const image = (name: string) => join(IMAGES, name);
  for (const name of ['photo.jpg', 'small.png', 'alpha.png', 'exif-rotated.jpg', 'tiny.png', 'wide.png']) {
    await copyFile(image(name), join(dir, name));
  }
  for (const name of ['local-photo.png', 'phone-p3.jpg']) await copyFile(image(name), join(dir, name));
  await copyFile(image('exif-rotated.jpg'), join(dir, 'IMG_0042.jpg'));
  await copyFile(image('alpha.png'), join(dir, 'logo.png'));
  await copyFile(image('wide.png'), join(dir, 'pano.png'));
  await mkdir(join(dir, 'photos/trip'), { recursive: true });
  await copyFile(image('photo.jpg'), join(dir, 'photos/cat.jpg'));
  await copyFile(image('small.png'), join(dir, 'photos/dog.png'));
  await copyFile(image('phone-p3.jpg'), join(dir, 'photos/trip/beach.jpg'));
  await mkdir(join(dir, 'shots'));
  await sharp(image('photo.jpg'))
    .resize(1400, 1000, { fit: 'fill' })
    .jpeg({ quality: 80 })
    .toFile(join(dir, 'shots/big.jpg'));
  await copyFile(image('photo.jpg'), join(dir, 'shots/cat.jpg'));
  await sharp(image('photo.jpg')).flop().toFile(join(dir, 'shots/fox.jpg'));
  await writeFile(join(dir, 'stamp'), '');
  const old = new Date('2000-01-01T00:00:00Z');
  await utimes(join(dir, 'stamp'), old, old);
  await writeFile(join(dir, 'body.json'), WEBHOOK.body);
  await mkdir(join(dir, 'tmp'));
  return dir;
}

/** The variables a webhook receiver would have: secret and the three headers of `body.json`. */
function webhookEnv(): Record<string, string> {
  const timestamp = String(Math.floor(Date.now() / 1000));
  const signature = createHmac('sha256', Buffer.from(WEBHOOK.secret, 'utf8'))
    .update(`${WEBHOOK.id}.${timestamp}.${WEBHOOK.body}`)
    .digest('base64');
  return {
    WEBHOOK_SECRET: WEBHOOK.secret,
    HDR_WEBHOOK_ID: WEBHOOK.id,
    HDR_WEBHOOK_TIMESTAMP: timestamp,
    HDR_WEBHOOK_SIGNATURE: `v1,${signature}`,
  };
}

export interface ShellRun {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** `/tmp/…` in a documented command means `tmp` (the sandbox's own `tmp/`, unless told). */
export function inSandbox(text: string, dir: string, tmp = join(dir, 'tmp')): string {
  return text.replace(/(^|[\s='"])\/tmp\//g, `$1${tmp}/`);
}

/**
 * Runs one documented command with `sh -c` in `dir`, the emulator's exports in the environment
 * and `upscale` on the PATH. `tmp` stands for `/tmp/` (default: `dir`'s `tmp/`). A block of the
 * docs keeps its config and journal in its own folder; with `exportsOnly` (the README, run from
 * the clone) the environment is the emulator's exports alone, as a reader who pasted them.
 */
export function runShell(
  command: string,
  options: {
    dir: string;
    shimDir: string;
    emulatorEnv: Readonly<Record<string, string>>;
    tmp?: string;
    exportsOnly?: boolean;
  },
): Promise<ShellRun> {
  const env = scrubbedEnv();
  Object.assign(env, options.emulatorEnv, options.exportsOnly ? {} : webhookEnv(), {
    CI: 'true',
    PATH: `${options.shimDir}${delimiter}${process.env.PATH ?? ''}`,
  });
  if (!options.exportsOnly) env.UPSCALE_CONFIG_DIR = join(options.dir, '.upscale-config');
  return spawnCollect('sh', ['-c', inSandbox(command, options.dir, options.tmp)], {
    cwd: options.dir,
    env,
    timeout: 90_000,
  });
}
