/** The install story: what is in package.json, and the message when something is missing. */
import { readFileSync } from 'node:fs';
import { describe, expect, it, vi } from 'vitest';
import {
  checkLocalEngine,
  LOCAL_MODELS,
  LocalEngineMissingError,
  upscaleLocal,
} from '../../src/local/index.js';
import { findPackageDir, installCommand, MODEL_INTERNALS, WEB_RUNTIME } from '../../src/local/models.js';
import { loadRuntime } from '../../src/local/runtime.js';
import { syntheticImage, THREADS } from './helpers.js';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  dependencies: Record<string, string>;
  optionalDependencies: Record<string, string>;
};

describe('package.json', () => {
  it('installs the runtime and the slim and medium models by default, at the versions the hints name', () => {
    const opt = pkg.optionalDependencies;
    expect(opt[WEB_RUNTIME.package]).toBe(WEB_RUNTIME.version);
    expect(opt[LOCAL_MODELS.slim.package]).toBe(MODEL_INTERNALS.slim.version);
    expect(opt[LOCAL_MODELS.medium.package]).toBe(MODEL_INTERNALS.medium.version);
    // thick is 115 MB: opt-in, and never a hard dependency.
    expect(opt[LOCAL_MODELS.thick.package]).toBeUndefined();
    expect(pkg.dependencies[LOCAL_MODELS.thick.package]).toBeUndefined();
  });

  it('has slim and medium installed here', async () => {
    expect(await checkLocalEngine('slim')).toEqual({ ok: true });
    expect(await checkLocalEngine('medium')).toEqual({ ok: true });
  });
});

describe('missing packages', () => {
  it.skipIf(findPackageDir(LOCAL_MODELS.thick.package) !== undefined)(
    'thick: check and upscale name the exact npm command',
    async () => {
      const check = await checkLocalEngine('thick');
      expect(check).toEqual({
        ok: false,
        message:
          'The local provider with --model thick needs @upscalerjs/esrgan-thick, which is not installed.',
        hint: installCommand(['@upscalerjs/esrgan-thick@^1.0.0']),
      });
      expect(installCommand(['@upscalerjs/esrgan-thick@^1.0.0'])).toMatch(
        /^npm install (--prefix \S+ )?--legacy-peer-deps @upscalerjs\/esrgan-thick@\^1\.0\.0$/,
      );
      const err = await upscaleLocal({
        threads: THREADS,
        input: await syntheticImage(8, 8),
        scale: 2,
        model: 'thick',
      }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(LocalEngineMissingError);
      expect((err as LocalEngineMissingError).hint).toBe(check.ok ? '' : check.hint);
      expect((err as LocalEngineMissingError).missing).toEqual(['@upscalerjs/esrgan-thick']);
    },
  );

  it('installCommand targets this package root when run from elsewhere', () => {
    expect(installCommand(['a@1'], '/somewhere/else')).toMatch(
      /^npm install --prefix (\S+|"[^"]+") --legacy-peer-deps a@1$/,
    );
  });

  it.skipIf(findPackageDir('onnxruntime-node') !== undefined)(
    'asking for onnxruntime-node when it is absent says how to add it without its CUDA download',
    async () => {
      const err = await loadRuntime('onnxruntime-node', 1).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(LocalEngineMissingError);
      expect((err as LocalEngineMissingError).hint).toMatch(
        /^ONNXRUNTIME_NODE_INSTALL=skip npm install .*onnxruntime-node@\^1\.30\.0$/,
      );
    },
  );

  it('a missing onnxruntime-web is reported with its install command', async () => {
    vi.resetModules();
    vi.doMock('onnxruntime-web', () => {
      throw new Error("Cannot find package 'onnxruntime-web'");
    });
    try {
      const { loadRuntime: fresh } = await import('../../src/local/runtime.js');
      const err = await fresh('onnxruntime-web', 1).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(Error);
      expect((err as Error).name).toBe('LocalEngineMissingError');
      expect((err as LocalEngineMissingError).hint).toMatch(
        /npm install .*--legacy-peer-deps onnxruntime-web@\^1\.30\.0$/,
      );
      expect((err as Error).message).toMatch(
        /needs onnxruntime-web, which is not installed\. Install with: npm install/,
      );
    } finally {
      vi.doUnmock('onnxruntime-web');
    }
  });
});
