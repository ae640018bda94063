// Packs this repository as npm would publish it, installs the tarball globally into a temporary
// prefix the way a user does (`npm install -g upscale-<version>.tgz`), from npm's cache only
// (--offline: no network), and runs the offline first command from that install.
// Used by test/local/pack-install.test.ts and bench/local-install.js.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const LIMIT_MB = 70;

/** Bytes under a path, files counted once by inode (du -s --apparent-size in spirit). */
export function diskBytes(path) {
  const seen = new Set();
  const walk = (p) => {
    const s = statSync(p, { throwIfNoEntry: false, bigint: false });
    if (!s || seen.has(s.ino)) return 0;
    seen.add(s.ino);
    if (!s.isDirectory()) return s.isFile() ? s.size : 0;
    let total = 0;
    for (const e of readdirSync(p, { withFileTypes: true }))
      if (!e.isSymbolicLink()) total += walk(join(p, e.name));
    return total;
  };
  return walk(path);
}

/** The biggest installed packages (path under node_modules → bytes), largest first. */
function biggest(nodeModules, top = 6) {
  const rows = [];
  for (const name of readdirSync(nodeModules)) {
    if (name.startsWith('.')) continue;
    const dirs = name.startsWith('@')
      ? readdirSync(join(nodeModules, name)).map((n) => `${name}/${n}`)
      : [name];
    for (const d of dirs) rows.push([d, diskBytes(join(nodeModules, d))]);
  }
  return rows.sort((a, b) => b[1] - a[1]).slice(0, top);
}

/** An environment without this repository's npm settings (its .npmrc is not what users have). */
function userEnv(extra = {}) {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^npm_/i.test(k)) env[k] = v;
  return { ...env, ...extra };
}

/**
 * What `npm pack` packs, without running its scripts: the package's files as built, and the
 * package.json that prepack writes for users (src/build/pack-manifest.ts: no `prepare`).
 * Packing a copy leaves this repository's package.json alone while other tests read it.
 */
async function stage(tmp) {
  const { packedManifest } = await import(join(ROOT, 'dist/build/pack-manifest.js'));
  const dir = join(tmp, 'stage');
  const text = readFileSync(join(ROOT, 'package.json'), 'utf8');
  for (const entry of JSON.parse(text).files.filter((f) => !f.startsWith('!'))) {
    cpSync(join(ROOT, entry), join(dir, entry), { recursive: true });
  }
  writeFileSync(join(dir, 'package.json'), packedManifest(text));
  return dir;
}

function run(cmd, args, opts) {
  const t0 = performance.now();
  const r = spawnSync(cmd, args, { encoding: 'utf8', ...opts });
  return { ...r, ms: Math.round(performance.now() - t0) };
}

/**
 * Packs (with `build`, through prepack; else the dist/ already built), installs, runs
 * `upscale <image> -p local --scale 2x`. Returns the measurements; throws on any failure.
 */
export async function packAndInstall({
  build = false,
  image = join(ROOT, 'fixtures/images/small.png'),
} = {}) {
  const tmp = mkdtempSync(join(tmpdir(), 'upscale-pack-'));
  try {
    const pack = run(
      'npm',
      ['pack', '--json', '--pack-destination', tmp, ...(build ? [] : ['--ignore-scripts'])],
      {
        cwd: build ? ROOT : await stage(tmp),
        env: userEnv(),
      },
    );
    if (pack.status !== 0) throw new Error(`npm pack failed (exit ${pack.status}):\n${pack.stderr}`);
    const [{ filename, size: tarballBytes, unpackedSize }] = JSON.parse(pack.stdout);
    const prefix = join(tmp, 'prefix');
    // From a folder of its own, as a user would: not this repository's .npmrc.
    const install = run(
      'npm',
      ['install', '-g', '--prefix', prefix, join(tmp, filename), '--offline', '--no-audit', '--no-fund'],
      { cwd: tmp, env: userEnv() },
    );
    if (install.status !== 0)
      throw new Error(`npm install -g --offline failed (exit ${install.status}):\n${install.stderr}`);
    const warnings = `${install.stdout}\n${install.stderr}`
      .split('\n')
      .filter((l) => /\b(warn|WARN)\b/.test(l));
    const nodeModules = join(prefix, 'lib', 'node_modules', 'upscale', 'node_modules');
    const installBytes = diskBytes(prefix);
    const bin = join(prefix, 'bin', 'upscale');
    const cwd = join(tmp, 'work');
    run('mkdir', ['-p', cwd]);
    const first = run(
      process.execPath,
      [bin, image, '-p', 'local', '--scale', '2x', '-o', join(cwd, 'out.png')],
      {
        cwd,
        env: userEnv({
          CI: 'true',
          UPSCALE_CONFIG_DIR: join(tmp, 'config'),
          UPSCALE_DATA_DIR: join(tmp, 'data'),
          // Nothing may need the network: point any proxy-aware code at a dead end.
          HTTPS_PROXY: 'http://127.0.0.1:9',
          HTTP_PROXY: 'http://127.0.0.1:9',
        }),
      },
    );
    return {
      tarball: filename,
      tarballBytes,
      unpackedBytes: unpackedSize,
      installBytes,
      installMs: install.ms,
      warnings,
      biggest: [
        ['upscale (its own files)', diskBytes(join(nodeModules, '..')) - diskBytes(nodeModules)],
        ...biggest(nodeModules),
      ],
      firstCommand: { code: first.status, ms: first.ms, stdout: first.stdout, stderr: first.stderr },
      output: statSync(join(cwd, 'out.png'), { throwIfNoEntry: false }) ? join(cwd, 'out.png') : null,
      cleanup: () => rmSync(tmp, { recursive: true, force: true }),
    };
  } catch (error) {
    rmSync(tmp, { recursive: true, force: true });
    throw error;
  }
}
