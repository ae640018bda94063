/**
 * The models the local provider can run.
 *
 * - `photo` (the default) was trained for this project on photographs (bench/train/train.py);
 *   its TF.js-format weights live in this repository (src/local/weights/).
 * - `slim`, `medium`, `thick` are ESRGAN models from the @upscalerjs npm packages (MIT, Kevin
 *   Scott), which ship them as TF.js layers models.
 *
 * All are converted to ONNX when this package is built (photo, slim and medium, float16 weights,
 * into `dist/models/`), or by `upscale local add-model thick` into the user's data folder.
 * Nothing is converted or downloaded while upscaling.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The local models, the default first. */
export type LocalModel = 'photo' | 'slim' | 'medium' | 'thick';

/** Public facts about each model (for `--help`, docs and error messages). */
export const LOCAL_MODELS: Record<
  LocalModel,
  {
    /** The npm package holding the TF.js weights; undefined for weights kept in this repository. */
    package: string | undefined;
    scales: number[];
    /** Scales with a second net for JPEG-compressed inputs, picked by their pixels (jpeg-grid.ts). */
    jpegScales?: number[];
    /** Its nets lift the top frequencies an antialiased reduction takes down: aliased inputs are softened first (alias-score.ts). */
    aliasAware?: boolean;
    sizeMB: number;
    shipped: boolean;
    note: string;
  }
> = {
  photo: {
    package: undefined,
    scales: [2, 4],
    jpegScales: [4],
    aliasAware: true,
    sizeMB: 0.65,
    shipped: true,
    note: 'default; trained here on photos, with a second x4 net for JPEG inputs; the fastest, and the best on photos (+1.56 dB PSNR-Y over a true Lanczos-3 on 16 held-out photos)',
  },
  slim: {
    package: '@upscalerjs/esrgan-slim',
    scales: [2, 3, 4, 8],
    sizeMB: 2.6,
    shipped: true,
    note: 'ESRGAN; on photos about as good as a true Lanczos-3 (−0.1 dB)',
  },
  medium: {
    package: '@upscalerjs/esrgan-medium',
    scales: [2, 3, 4, 8],
    sizeMB: 6.4,
    shipped: true,
    note: 'ESRGAN; ~3x slower than slim; about as good as a true Lanczos-3',
  },
  thick: {
    package: '@upscalerjs/esrgan-thick',
    scales: [2, 3, 4, 8],
    sizeMB: 57,
    shipped: false,
    note: 'ESRGAN, added by `upscale local add-model thick` (57 MB); +1.2 dB over a true Lanczos-3 on photos (photo: +1.7); ~100x slower than slim, use `upscale local add-runtime`',
  },
};

/** One net of a model: its factor, and whether it is the one for JPEG-compressed inputs. */
export interface ModelNet {
  scale: number;
  jpeg: boolean;
}

/** Every net a model has: one per scale, plus its JPEG nets. */
export function modelNets(model: LocalModel): ModelNet[] {
  const info = LOCAL_MODELS[model];
  return [
    ...info.scales.map((scale) => ({ scale, jpeg: false })),
    ...(info.jpegScales ?? []).map((scale) => ({ scale, jpeg: true })),
  ];
}

/** A net's name in `models.json` and in the weights folder: `photo-x4`, `photo-x4-jpeg`. */
export function netName(model: LocalModel, net: ModelNet): string {
  return `${model}-x${net.scale}${net.jpeg ? '-jpeg' : ''}`;
}

/** Model used when none is given: the fastest shipped, and the best on photos. */
export const DEFAULT_LOCAL_MODEL: LocalModel = 'photo';

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
  // Trained on 0..1 pixels; `version` is the weights' own (src/local/weights/photo-x*/model.json):
  // 1 the first nets, 2 issue 25's (the x4 net 12 layers deep, the x4 JPEG net), 3 the x2 net
  // trained again, written as the source of each net in the built models.json.
  photo: { valueRange: 1, version: '3', weights: 'float16' },
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

/** Where this repository keeps the weights of models it trained (`photo`), if it is a clone. */
export function repoWeightsDir(): string | undefined {
  const root = installRoot();
  const dir = root && join(root, 'src', 'local', 'weights');
  return dir && existsSync(dir) ? dir : undefined;
}

/**
 * Folder holding the TF.js `model.json` for a model and scale: in its @upscalerjs package
 * (`models/x4/`), or for this repository's own models in `src/local/weights/` (`photo-x4/`,
 * `photo-x4-jpeg/` for the JPEG net, which only this repository's models have);
 * `sourceDir` overrides where the package or the weights folder is. Undefined if missing.
 */
export function findModelDir(
  model: LocalModel,
  scale: number,
  sourceDir = modelSourceDir(model),
  jpeg = false,
): string | undefined {
  if (!sourceDir) return undefined;
  const dir = LOCAL_MODELS[model].package
    ? join(sourceDir, 'models', `x${scale}`)
    : join(sourceDir, netName(model, { scale, jpeg }));
  return existsSync(join(dir, 'model.json')) ? dir : undefined;
}

/** The installed @upscalerjs package of a model, or the repository's weights folder. */
export function modelSourceDir(model: LocalModel): string | undefined {
  const pkg = LOCAL_MODELS[model].package;
  return pkg ? findPackageDir(pkg) : repoWeightsDir();
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
