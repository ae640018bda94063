/**
 * Where the local engine's files are: the models and the WebAssembly runtime that the build
 * writes into `dist/` (see build/build-assets.ts), and what users add later into their data
 * folder (`upscale local add-runtime`, `upscale local add-model`).
 *
 * Cheap to import: node built-ins only.
 */
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { installRoot, type LocalModel, type ModelNet, netName } from './models.js';

/** One converted model file, as listed in a `models.json`. */
export interface ModelFileInfo {
  /** File name beside the `models.json` that lists it. */
  file: string;
  /** Upscale factor of the net. */
  scale: number;
  /** Context (input pixels) an output pixel depends on; tiles need this much for exact seams. */
  receptiveRadius: number;
  /** How the weights are stored; inference always runs in float32. */
  weights: 'float32' | 'float16';
  bytes: number;
  sha256: string;
  /** npm package and version the weights were converted from. */
  source: string;
}

/** A `models.json`: key `<model>-x<scale>`, e.g. `slim-x4`, and `photo-x4-jpeg` for a JPEG net. */
export interface ModelsManifest {
  models: Record<string, ModelFileInfo>;
}

/** The files the build copies from onnxruntime-web (the Node build of its wasm backend). */
export const WEB_RUNTIME_FILES = {
  entry: 'ort.node.min.mjs',
  factory: 'ort-wasm-simd-threaded.mjs',
  wasm: 'ort-wasm-simd-threaded.wasm',
} as const;

/** `dist/` of this package (the repository's when running from source), or undefined. */
export function distDir(): string | undefined {
  const root = installRoot();
  return root ? join(root, 'dist') : undefined;
}

/** Folder holding the shipped models (`dist/models`). */
export function shippedModelsDir(): string | undefined {
  const dist = distDir();
  return dist ? join(dist, 'models') : undefined;
}

/** Folder holding the shipped runtime (`dist/runtime`). */
export function shippedRuntimeDir(): string | undefined {
  const dist = distDir();
  return dist ? join(dist, 'runtime') : undefined;
}

/**
 * The user's data folder for what `upscale local add-runtime` and `add-model` install: UPSCALE_DATA_DIR, else the
 * platform's usual place (XDG data home, Application Support, LocalAppData).
 */
export function localDataDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.UPSCALE_DATA_DIR) return env.UPSCALE_DATA_DIR;
  const home = homedir();
  if (process.platform === 'darwin') return join(home, 'Library', 'Application Support', 'upscale');
  if (process.platform === 'win32')
    return join(env.LOCALAPPDATA ?? join(home, 'AppData', 'Local'), 'upscale', 'Data');
  return join(env.XDG_DATA_HOME || join(home, '.local', 'share'), 'upscale');
}

/** Where `add-runtime` installs onnxruntime-node (an npm prefix). */
export function nodeRuntimePrefix(env: NodeJS.ProcessEnv = process.env): string {
  return join(localDataDir(env), 'runtime');
}

/** Where `add-model` writes converted models. */
export function addedModelsDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(localDataDir(env), 'models');
}

/** Reads a folder's `models.json`; undefined when absent or unreadable. */
export function readModelsManifest(dir: string | undefined): ModelsManifest | undefined {
  if (!dir) return undefined;
  const path = join(dir, 'models.json');
  if (!existsSync(path)) return undefined;
  try {
    const parsed = JSON.parse(readFileSync(path, 'utf8')) as Partial<ModelsManifest>;
    return parsed.models && typeof parsed.models === 'object' ? { models: parsed.models } : undefined;
  } catch {
    return undefined;
  }
}

/** A model file found on disk: its folder and facts. */
export interface FoundModel extends ModelFileInfo {
  path: string;
  /** 'package' = shipped in dist/models; 'added' = in the data folder. */
  origin: 'package' | 'added';
}

/**
 * Finds `<model>-x<scale>`, or the net given (`-jpeg` for a JPEG net): the shipped files first,
 * then the data folder.
 */
export function findModelFile(
  model: LocalModel,
  net: number | ModelNet,
  env: NodeJS.ProcessEnv = process.env,
): FoundModel | undefined {
  const key = netName(model, typeof net === 'number' ? { scale: net, jpeg: false } : net);
  for (const [dir, origin] of [
    [shippedModelsDir(), 'package'],
    [addedModelsDir(env), 'added'],
  ] as const) {
    const info = readModelsManifest(dir)?.models[key];
    if (dir && info && existsSync(join(dir, info.file)))
      return { ...info, path: join(dir, info.file), origin };
  }
  return undefined;
}
