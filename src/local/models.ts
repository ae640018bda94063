/**
 * The ESRGAN models the local provider can run.
 *
 * The weights come from the @upscalerjs npm packages (MIT, Kevin Scott), which ship them as
 * TF.js layers models. They are converted to ONNX when this package is built (slim and
 * medium, float16 weights, into `dist/models/`), or by `upscale local add-model thick` into
 * the user's data folder. Nothing is converted or downloaded while upscaling.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Model sizes, smallest and fastest first. */
export type LocalModel = 'slim' | 'medium' | 'thick';

/** Public facts about each model (for `--help`, docs and error messages). */
export const LOCAL_MODELS: Record<
  LocalModel,
  { package: string; scales: number[]; sizeMB: number; shipped: boolean; note: string }
> = {
  slim: {
    package: '@upscalerjs/esrgan-slim',
    scales: [2, 3, 4, 8],
    sizeMB: 2.6,
    shipped: true,
    note: 'default; fastest; on photos about as good as a true Lanczos-3 (−0.3 dB)',
  },
  medium: {
    package: '@upscalerjs/esrgan-medium',
    scales: [2, 3, 4, 8],
    sizeMB: 6.4,
    shipped: true,
    note: '~3x slower than slim; a little crisper than slim, about as good as a true Lanczos-3',
  },
  thick: {
    package: '@upscalerjs/esrgan-thick',
    scales: [2, 3, 4, 8],
    sizeMB: 57,
    shipped: false,
    note: 'added by `upscale local add-model thick` (57 MB); the best (+0.2 to +1.2 dB over a true Lanczos-3); ~80x slower than slim, use `upscale local add-runtime`',
  },
};

/** Model used when none is given: fast enough to be a CI fallback. */
export const DEFAULT_LOCAL_MODEL: LocalModel = 'slim';

/**
 * Internal facts the converter needs. `version` is the exact package version converted
 * (package.json `devDependencies` for the shipped ones — a test checks); `weights` is how the
 * files are stored (float16 where the output stays within 1 grey level of float32 — a test
 * measures it).
 */
export const MODEL_INTERNALS: Record<
  LocalModel,
  { valueRange: 1 | 255; version: string; weights: 'float32' | 'float16' }
> = {
  slim: { valueRange: 255, version: '1.0.0', weights: 'float16' },
  medium: { valueRange: 255, version: '1.0.0', weights: 'float16' },
  // RRDN nets were trained on 0..1 pixels (upscalerjs esrgan definition).
  thick: { valueRange: 1, version: '1.0.0', weights: 'float16' },
};

/** The bundled WebAssembly runtime: copied from this onnxruntime-web version at build time. */
export const WEB_RUNTIME = { package: 'onnxruntime-web', version: '1.30.0' } as const;
/** The optional native runtime `upscale local add-runtime` installs: ~4x faster. */
export const NODE_RUNTIME = { package: 'onnxruntime-node', version: '1.30.0' } as const;

const require = createRequire(import.meta.url);

/**
 * Finds an installed package's folder without importing it, using the same
 * node_modules lookup Node would from this file. (The @upscalerjs packages do not
 * export `./package.json`, so `require.resolve('<pkg>/package.json')` would throw.)
 */
export function findPackageDir(pkg: string): string | undefined {
  for (const dir of require.resolve.paths(pkg) ?? []) {
    const candidate = join(dir, pkg);
    if (existsSync(join(candidate, 'package.json'))) return candidate;
  }
  return undefined;
}

/**
 * Folder holding the TF.js `model.json` for a model and scale in an @upscalerjs package
 * (installed beside this code unless `pkgDir` says where), or undefined if it is missing.
 */
export function findModelDir(
  model: LocalModel,
  scale: number,
  pkgDir = findPackageDir(LOCAL_MODELS[model].package),
): string | undefined {
  if (!pkgDir) return undefined;
  const dir = join(pkgDir, 'models', `x${scale}`);
  return existsSync(join(dir, 'model.json')) ? dir : undefined;
}

/**
 * The folder npm should install missing packages into: the root of the package
 * this code belongs to (the repo clone, or the globally installed `upscale`).
 */
export function installRoot(): string | undefined {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pj = join(dir, 'package.json');
    if (existsSync(pj)) {
      try {
        if ((JSON.parse(readFileSync(pj, 'utf8')) as { name?: unknown }).name === 'upscale') return dir;
      } catch {
        // unreadable package.json: keep walking up
      }
    }
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/** The one command that adds what `-p local` is missing: `upscale local add-runtime` or `add-model`. */
export function addCommand(what: 'runtime' | LocalModel): string {
  return what === 'runtime' ? 'upscale local add-runtime' : `upscale local add-model ${what}`;
}
