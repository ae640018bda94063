/**
 * The ESRGAN models the local provider can run, and where their files are.
 *
 * The weights come from the @upscalerjs npm packages (MIT), which ship them as
 * TF.js layers models under `models/x{2,3,4,8}/`. They are read from the
 * installed package at first use; nothing is downloaded at run time.
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
  { package: string; scales: number[]; sizeMB: number; note: string }
> = {
  slim: {
    package: '@upscalerjs/esrgan-slim',
    scales: [2, 3, 4, 8],
    sizeMB: 5,
    note: 'default; 512px to 2048px in ~4 s on 2 cores; a little sharper than lanczos3',
  },
  medium: {
    package: '@upscalerjs/esrgan-medium',
    scales: [2, 3, 4, 8],
    sizeMB: 13,
    note: '~3.5x slower than slim (~14 s for 512px to 2048px); visibly crisper edges and texture',
  },
  thick: {
    package: '@upscalerjs/esrgan-thick',
    scales: [2, 3, 4, 8],
    sizeMB: 115,
    note: 'not installed by default (115 MB); ~30x slower than slim (minutes per 512px image), crispest; best with onnxruntime-node',
  },
};

/** Model used when none is given: fast enough to be a CI fallback. */
export const DEFAULT_LOCAL_MODEL: LocalModel = 'slim';

/**
 * Internal facts the converter needs. Version ranges must match package.json
 * (`optionalDependencies`; thick is not listed there on purpose) — a test checks.
 */
export const MODEL_INTERNALS: Record<LocalModel, { valueRange: 1 | 255; version: string }> = {
  slim: { valueRange: 255, version: '^1.0.0' },
  medium: { valueRange: 255, version: '^1.0.0' },
  // RRDN nets were trained on 0..1 pixels (upscalerjs esrgan definition).
  thick: { valueRange: 1, version: '^1.0.0' },
};

/** The browser/WASM runtime: pure JS + wasm, installs everywhere. */
export const WEB_RUNTIME = { package: 'onnxruntime-web', version: '^1.30.0' } as const;
/** The optional native runtime: ~3x faster, but its install script fetches CUDA files unless told not to. */
export const NODE_RUNTIME = { package: 'onnxruntime-node', version: '^1.30.0' } as const;

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

/** Folder holding `model.json` for a model and scale, or undefined if the package is missing. */
export function findModelDir(model: LocalModel, scale: number): string | undefined {
  const pkgDir = findPackageDir(LOCAL_MODELS[model].package);
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

/**
 * The exact npm command that installs `specs` where this code will find them.
 * `--legacy-peer-deps` stops npm from also pulling @tensorflow/tfjs (~270 MB), the
 * model packages' peer dependency, which the ONNX route never loads.
 */
export function installCommand(specs: readonly string[], cwd = process.cwd()): string {
  const root = installRoot();
  const prefix =
    root && root !== cwd ? ` --prefix ${/^[\w@%+=:,./-]+$/.test(root) ? root : JSON.stringify(root)}` : '';
  return `npm install${prefix} --legacy-peer-deps ${specs.join(' ')}`;
}
