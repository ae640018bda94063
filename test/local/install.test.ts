/** The install story: what is in package.json, what the build ships, the messages when something is missing. */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findModelFile, localDataDir, shippedModelsDir, shippedRuntimeDir } from '../../src/local/assets.js';
import {
  checkLocalEngine,
  LOCAL_MODELS,
  LocalEngineMissingError,
  upscaleLocal,
} from '../../src/local/index.js';
import { MODEL_INTERNALS, modelNets, NODE_RUNTIME, netName, WEB_RUNTIME } from '../../src/local/models.js';
import { findNodeRuntime, loadRuntime } from '../../src/local/runtime.js';
import { syntheticImage, THREADS } from './helpers.js';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  scripts: Record<string, string>;
  files: string[];
};

describe('package.json', () => {
  it('converts the models and copies the runtime at build time, from devDependencies only', () => {
    const dev = pkg.devDependencies;
    expect(dev[WEB_RUNTIME.package]).toBe(WEB_RUNTIME.version);
    expect(dev[LOCAL_MODELS.slim.package!]).toBe(MODEL_INTERNALS.slim.version);
    expect(dev[LOCAL_MODELS.medium.package!]).toBe(MODEL_INTERNALS.medium.version);
    expect(pkg.scripts.build).toMatch(/build-assets\.js/);
    // The runtime's one import, at the version the copied files were built with.
    expect(pkg.dependencies['onnxruntime-common']).toBe(WEB_RUNTIME.version);
  });

  it('asks users to install nothing that pulls TF.js, a whole runtime package, or runs install scripts', () => {
    const runtimeDeps = { ...pkg.dependencies, ...pkg.optionalDependencies };
    expect(
      Object.keys(runtimeDeps).filter((d) => /^(@upscalerjs|@tensorflow|onnxruntime-(web|node))/.test(d)),
    ).toEqual([]);
    expect(pkg.scripts.postinstall).toBeUndefined();
    expect(pkg.scripts.install).toBeUndefined();
  });

  it('builds on `npm install` in a clone, and packs a package.json without that script', async () => {
    expect(pkg.scripts.prepare).toBe('npm run build');
    expect(pkg.scripts.prepack).toMatch(/pack-manifest\.js strip$/);
    expect(pkg.scripts.postpack).toMatch(/pack-manifest\.js restore$/);
    const { packedManifest } = await import('../../src/build/pack-manifest.js');
    const packed = JSON.parse(
      packedManifest(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')),
    );
    expect(packed.scripts.prepare).toBeUndefined();
    expect({ ...packed, scripts: undefined }).toEqual({ ...pkg, scripts: undefined });
  });
});

describe('what the build wrote', () => {
  it('ships photo, slim and medium, float16, with the MIT licence of the ESRGAN weights', () => {
    for (const model of ['photo', 'slim', 'medium'] as const)
      for (const { scale, jpeg } of modelNets(model)) {
        const f = findModelFile(model, { scale, jpeg });
        expect(f?.origin, netName(model, { scale, jpeg })).toBe('package');
        expect(f?.weights).toBe('float16');
        expect(f?.source).toBe(
          {
            photo: 'upscale/src/local/weights/photo@3',
            slim: '@upscalerjs/esrgan-slim@1.0.0',
            medium: '@upscalerjs/esrgan-medium@1.0.0',
          }[model],
        );
      }
    expect(findModelFile('photo', 4)?.file).toBe('photo-x4.onnx');
    expect(findModelFile('photo', { scale: 4, jpeg: true })?.file).toBe('photo-x4-jpeg.onnx');
    const licence = readFileSync(join(shippedModelsDir()!, 'LICENSE-upscalerjs.txt'), 'utf8');
    expect(licence).toMatch(/MIT License/);
    expect(licence).toMatch(/Kevin Scott/);
    expect(licence).toMatch(/@upscalerjs\/esrgan-slim@1\.0\.0/);
  });

  it('copies only the three runtime files of onnxruntime-web, with their licence', () => {
    const dir = shippedRuntimeDir()!;
    expect(readFileSync(join(dir, 'LICENSE-onnxruntime-web.txt'), 'utf8')).toMatch(/Microsoft Corporation/);
    expect(readFileSync(join(dir, 'ort.node.min.mjs'), 'utf8')).toMatch(/ONNX Runtime Web v1\.30\.0/);
  });
});

describe('missing pieces', () => {
  let data: string;
  const saved = process.env.UPSCALE_DATA_DIR;
  beforeAll(async () => {
    data = await mkdtemp(join(tmpdir(), 'upscale-data-'));
    process.env.UPSCALE_DATA_DIR = data;
  });
  afterAll(async () => {
    if (saved === undefined) delete process.env.UPSCALE_DATA_DIR;
    else process.env.UPSCALE_DATA_DIR = saved;
    await rm(data, { recursive: true, force: true });
  });

  it('the data folder follows UPSCALE_DATA_DIR, else the platform convention', () => {
    expect(localDataDir({ UPSCALE_DATA_DIR: '/x/y' })).toBe('/x/y');
    if (process.platform === 'linux') {
      expect(localDataDir({ XDG_DATA_HOME: '/d' })).toBe('/d/upscale');
      expect(localDataDir({})).toMatch(/\.local\/share\/upscale$/);
    }
  });

  it('thick (not shipped): check and upscale name `upscale local add-model thick`', async () => {
    const check = await checkLocalEngine('thick');
    expect(check).toEqual({
      ok: false,
      message: "The 'thick' model (57 MB) is not part of the package.",
      hint: 'upscale local add-model thick',
    });
    const err = await upscaleLocal({
      threads: THREADS,
      input: await syntheticImage(8, 8),
      scale: 2,
      model: 'thick',
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LocalEngineMissingError);
    expect((err as LocalEngineMissingError).hint).toBe('upscale local add-model thick');
  });

  it.skipIf(findNodeRuntime({}) !== undefined)(
    'asking for onnxruntime-node when it is absent names `upscale local add-runtime`',
    async () => {
      const err = await loadRuntime('onnxruntime-node', 1).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(LocalEngineMissingError);
      expect((err as LocalEngineMissingError).hint).toBe('upscale local add-runtime');
      expect((err as LocalEngineMissingError).missing).toEqual([NODE_RUNTIME.package]);
    },
  );

  it('slim and medium are ready with nothing added', async () => {
    expect(await checkLocalEngine('slim')).toEqual({ ok: true });
    expect(await checkLocalEngine('medium')).toEqual({ ok: true });
  });
});
