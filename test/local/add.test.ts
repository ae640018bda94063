/**
 * `upscale local add-runtime` / `add-model` end to end, from local packages (--from): never the
 * registry. A fake onnxruntime-node (the bundled wasm runtime behind its name, and a marker file)
 * shows the engine picks up what add-runtime installed; slim's weights published under thick's
 * name show add-model's convert-and-use path.
 */
import { execFileSync } from 'node:child_process';
import { cp, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shippedRuntimeDir } from '../../src/local/assets.js';
import { findPackageDir } from '../../src/local/models.js';
import { IMAGES, runCli, tempDir } from '../e2e/cli-harness.js';

let dir: string;
let env: Record<string, string>;
const other = process.platform === 'win32' ? 'linux' : 'win32';

/** An onnxruntime-node look-alike: the bundled runtime's API, a marker, per-platform "binaries". */
async function fakeNodeRuntime(at: string): Promise<string> {
  await mkdir(join(at, 'bin/napi-v6', process.platform, process.arch), { recursive: true });
  await mkdir(join(at, 'bin/napi-v6', process.platform, 'other-arch'), { recursive: true });
  await mkdir(join(at, 'bin/napi-v6', other, 'x64'), { recursive: true });
  await writeFile(join(at, 'bin/napi-v6', process.platform, process.arch, 'binding.node'), 'here');
  await writeFile(join(at, 'bin/napi-v6', process.platform, 'other-arch', 'binding.node'), 'x'.repeat(1000));
  await writeFile(join(at, 'bin/napi-v6', other, 'x64', 'binding.node'), 'x'.repeat(1000));
  await writeFile(
    join(at, 'package.json'),
    JSON.stringify({ name: 'onnxruntime-node', version: '0.0.0-fake', main: 'index.mjs' }),
  );
  const ort = pathToFileURL(join(shippedRuntimeDir()!, 'ort.node.min.mjs')).href;
  await writeFile(
    join(at, 'index.mjs'),
    `import { writeFileSync } from 'node:fs';
if (process.env.FAKE_ORT_MARK) writeFileSync(process.env.FAKE_ORT_MARK, 'loaded');
export * from ${JSON.stringify(ort)};
`,
  );
  return at;
}

/** slim's package under thick's name: converts and runs like thick would (wrong range, right shape). */
async function fakeThickPackage(at: string): Promise<string> {
  const slim = findPackageDir('@upscalerjs/esrgan-slim')!;
  await mkdir(at, { recursive: true });
  await cp(join(slim, 'models'), join(at, 'models'), { recursive: true });
  await writeFile(
    join(at, 'package.json'),
    JSON.stringify({ name: '@upscalerjs/esrgan-thick', version: '1.0.0' }),
  );
  return at;
}

beforeAll(async () => {
  dir = await tempDir('upscale-add-');
  await cp(join(IMAGES, 'small.png'), join(dir, 'small.png'));
  // npm must not reach the registry: --from packages have no dependencies.
  env = { UPSCALE_DATA_DIR: join(dir, 'data'), npm_config_offline: 'true', FAKE_ORT_MARK: join(dir, 'mark') };
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const providersLocal = async () => {
  const run = await runCli(['providers', 'local', '--json'], { cwd: dir, env });
  expect(run.code).toBe(0);
  return (JSON.parse(run.stdout) as { engine: Record<string, unknown> }[])[0]!.engine as {
    active: string;
    runtimes: { name: string; origin: string | null; version: string | null }[];
    models: { model: string; origin: string | null; withAddedRuntimeSeconds: number | null }[];
  };
};

describe('upscale local', () => {
  it('add-runtime refuses a --from that does not exist (exit 2), installing nothing', async () => {
    const run = await runCli(['local', 'add-runtime', '--from', join(dir, 'nope.tgz')], { cwd: dir, env });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('no such file or folder');
  });

  it('add-model refuses an unknown model with exit 2', async () => {
    const run = await runCli(['local', 'add-model', 'huge'], { cwd: dir, env });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('use one of photo, slim, medium, thick');
  });

  it('before: the bundled runtime is active, thick is not added', async () => {
    const engine = await providersLocal();
    expect(engine.active).toBe('onnxruntime-web');
    expect(engine.models.map((m) => [m.model, m.origin])).toEqual([
      ['photo', 'package'],
      ['slim', 'package'],
      ['medium', 'package'],
      ['thick', null],
    ]);
    // Says where add-runtime would make runs much faster (issue 25, Must 4).
    expect(engine.models.filter((m) => m.withAddedRuntimeSeconds !== null).map((m) => m.model)).toContain(
      'slim',
    );
    const text = await runCli(['providers', 'local'], { cwd: dir, env });
    expect(text.stdout).toMatch(
      /onnxruntime-node: not added: `upscale local add-runtime` \(~50 MB\): runs [\d.-]+x faster for /,
    );
    expect(text.stdout).toMatch(/slim: in the package, .* \(~[\d.]+ s after `upscale local add-runtime`\)/);
  });

  it('add-runtime installs into the data folder, keeps only this platform, and -p local then uses it', {
    timeout: 120_000,
  }, async () => {
    const from = await fakeNodeRuntime(join(dir, 'fake-ort'));
    const run = await runCli(['local', 'add-runtime', '--from', from, '--json'], { cwd: dir, env });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout) as { runtime: string; where: string; prunedBytes: number };
    expect(result).toMatchObject({ runtime: 'onnxruntime-node', where: join(dir, 'data', 'runtime') });
    expect(result.prunedBytes).toBe(2000);
    const bin = join(dir, 'data/runtime/node_modules/onnxruntime-node/bin/napi-v6');
    expect(await readdir(bin)).toEqual([process.platform]);
    expect(await readdir(join(bin, process.platform))).toEqual([process.arch]);

    const engine = await providersLocal();
    expect(engine.active).toBe('onnxruntime-node');
    expect(engine.models.map((m) => m.withAddedRuntimeSeconds)).toEqual([null, null, null, null]);
    expect(engine.runtimes.find((r) => r.name === 'onnxruntime-node')).toMatchObject({
      origin: 'added',
      version: '0.0.0-fake',
    });
    await rm(env.FAKE_ORT_MARK!, { force: true });
    const up = await runCli(['small.png', '-p', 'local', '--scale', '2x', '-o', 'rt.png'], { cwd: dir, env });
    expect(up.code).toBe(0);
    expect(await readFile(env.FAKE_ORT_MARK!, 'utf8')).toBe('loaded');
    expect((await sharp(join(dir, 'rt.png')).metadata()).width).toBe(400);
  });

  it('add-model thick converts the package into the data folder, and --model thick runs it', {
    timeout: 120_000,
  }, async () => {
    const from = await fakeThickPackage(join(dir, 'fake-thick'));
    const run = await runCli(['local', 'add-model', 'thick', '--from', from], { cwd: dir, env });
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^thick added \(@upscalerjs\/esrgan-thick@1\.0\.0\): \d+ MB in /);
    const files = await readdir(join(dir, 'data', 'models'));
    expect(files.sort()).toEqual([
      'esrgan-thick-x2.onnx',
      'esrgan-thick-x3.onnx',
      'esrgan-thick-x4.onnx',
      'esrgan-thick-x8.onnx',
      'models.json',
    ]);
    // The package was only needed to convert: nothing of it is left.
    expect((await readdir(join(dir, 'data'))).sort()).toEqual(['models', 'runtime']);
    expect((await providersLocal()).models.find((m) => m.model === 'thick')?.origin).toBe('added');
    const up = await runCli(
      ['small.png', '-p', 'local', '--model', 'thick', '--scale', '2x', '-o', 'thick.png'],
      {
        cwd: dir,
        env,
      },
    );
    expect(up.code).toBe(0);
    expect((await sharp(join(dir, 'thick.png')).metadata()).width).toBe(400);
  });
});

describe('upscale local add-runtime --from, offline (issue 25, Must 5)', () => {
  let at: string;
  let offline: Record<string, string>;
  beforeAll(async () => {
    at = await tempDir('upscale-add-offline-');
    await cp(join(IMAGES, 'small.png'), join(at, 'small.png'));
    // No registry to reach and nothing cached: npm could not fetch a thing.
    offline = {
      UPSCALE_DATA_DIR: join(at, 'data'),
      npm_config_offline: 'true',
      npm_config_registry: 'http://127.0.0.1:9/',
      npm_config_cache: join(at, 'npm-cache'),
      FAKE_ORT_MARK: join(at, 'mark'),
    };
  });
  afterAll(() => rm(at, { recursive: true, force: true }));

  /** A tarball made by hand, as `npm pack` lays one out (`package/…`). */
  async function tarball(name: string, files: Record<string, string>, into: string): Promise<string> {
    const stage = join(at, 'stage', name.replace('/', '+'));
    await mkdir(join(stage, 'package'), { recursive: true });
    for (const [file, text] of Object.entries(files)) await writeFile(join(stage, 'package', file), text);
    await mkdir(into, { recursive: true });
    const out = join(into, `${name.replace('/', '-')}.tgz`);
    execFileSync('tar', ['-czf', out, '-C', stage, 'package']);
    return out;
  }

  /** onnxruntime-node as published: dependencies its install script needs, and onnxruntime-common. */
  const ortFiles = (deps: Record<string, string>) => ({
    'package.json': JSON.stringify({
      name: 'onnxruntime-node',
      version: '1.30.0',
      main: 'index.mjs',
      dependencies: {
        'onnxruntime-common': '1.30.0',
        'adm-zip': '^0.6.0',
        'global-agent': '^4.1.3',
        ...deps,
      },
    }),
    'index.mjs': `import { writeFileSync } from 'node:fs';
import { env } from 'onnxruntime-common';
${deps['ort-test-dep'] ? "import { dep } from 'ort-test-dep';" : 'const dep = "none";'}
if (process.env.FAKE_ORT_MARK) writeFileSync(process.env.FAKE_ORT_MARK, 'loaded with ' + dep + (env ? ' and common' : ''));
export * from ${JSON.stringify(pathToFileURL(join(shippedRuntimeDir()!, 'ort.node.min.mjs')).href)};
`,
  });

  it('a folder of tarballs (onnxruntime-node and a dependency) installs with no registry, and runs', {
    timeout: 120_000,
  }, async () => {
    const pkgs = join(at, 'pkgs');
    await tarball('onnxruntime-node', ortFiles({ 'ort-test-dep': '1.0.0' }), pkgs);
    await tarball(
      'ort-test-dep',
      {
        'package.json': JSON.stringify({ name: 'ort-test-dep', version: '1.0.0', main: 'index.js' }),
        'index.js': "exports.dep = 'the given dependency';",
      },
      pkgs,
    );
    const run = await runCli(['local', 'add-runtime', '--from', pkgs, '--json'], { cwd: at, env: offline });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout) as { runtime: string; packages: string[] };
    expect(result.runtime).toBe('onnxruntime-node');
    expect(result.packages).toEqual([
      'onnxruntime-node@1.30.0',
      'ort-test-dep@1.0.0',
      "onnxruntime-common@1.30.0 (upscale's own)",
    ]);
    const up = await runCli(['small.png', '-p', 'local', '--scale', '2x', '-o', 'rt.png'], {
      cwd: at,
      env: offline,
    });
    expect(up.code).toBe(0);
    expect(await readFile(offline.FAKE_ORT_MARK!, 'utf8')).toBe(
      'loaded with the given dependency and common',
    );
  });

  it('one tarball of onnxruntime-node alone installs too (onnxruntime-common is upscale’s own)', {
    timeout: 120_000,
  }, async () => {
    const one = await tarball('onnxruntime-node', ortFiles({}), join(at, 'one'));
    const run = await runCli(['local', 'add-runtime', '--from', one], { cwd: at, env: offline });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('without the registry: onnxruntime-node@1.30.0');
  });

  it('a folder with no package in it is refused with exit 2', async () => {
    await mkdir(join(at, 'empty'), { recursive: true });
    const run = await runCli(['local', 'add-runtime', '--from', join(at, 'empty')], {
      cwd: at,
      env: offline,
    });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('no package there');
  });
});
