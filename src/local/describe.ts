/**
 * What `-p local` would run right now: which runtime, which models, from where, and how fast
 * to expect. Reads files only (no runtime is loaded).
 */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { findModelFile, nodeRuntimePrefix } from './assets.js';
import { DEFAULT_LOCAL_MODEL, LOCAL_MODELS, type LocalModel, modelNets, WEB_RUNTIME } from './models.js';
import { findNodeRuntime, findWebRuntime, LOCAL_RUNTIMES, type LocalRuntimeName } from './runtimes/index.js';

/**
 * Seconds for 512x512 → 2048x2048 (x4) on 2 cores (a 2-vCPU cloud VM, AVX2): `npm run bench:local`,
 * spawn to exit (the bundled runtime's photo, slim and medium measured on an idle machine with the
 * wasm tiering budget; onnxruntime-node's photo, slim and medium the CLI's, median of 3, measured
 * in session 33 on an idle machine; thick measured on a shared, loaded machine, so on the slow
 * side). Other core counts scale roughly with 2 / threads.
 */
export const MEASURED_SECONDS_2_CORES: Record<LocalRuntimeName, Record<LocalModel, number>> = {
  'onnxruntime-web': { photo: 3.3, slim: 4.3, medium: 13.5, thick: 600 },
  'onnxruntime-node': { photo: 1.3, slim: 1.6, medium: 4.2, thick: 150 },
};

/** One model as `upscale providers local` shows it. */
export interface LocalModelStatus {
  model: LocalModel;
  default: boolean;
  /** 'package' = shipped with upscale, 'added' = by `upscale local add-model`, null = absent. */
  origin: 'package' | 'added' | null;
  weights: 'float32' | 'float16' | null;
  sizeMB: number;
  /** Expected seconds for 512² → 2048² with the active runtime and thread count. */
  expectedSeconds: number;
  /**
   * When onnxruntime-node is not added and would make this model's runs much faster (2× or more):
   * the seconds to expect with it. Null otherwise.
   */
  withAddedRuntimeSeconds: number | null;
}

/** How much faster onnxruntime-node must be for `upscale providers local` to suggest adding it. */
export const MUCH_FASTER = 2;

/** What `upscale providers local` prints. */
export interface LocalEngineStatus {
  /** The runtime `-p local` uses (onnxruntime-node once added, else the bundled wasm). */
  active: LocalRuntimeName | null;
  threads: number;
  runtimes: {
    name: LocalRuntimeName;
    present: boolean;
    version: string | null;
    where: string | null;
    origin: 'package' | 'added' | null;
  }[];
  models: LocalModelStatus[];
}

function versionNear(file: string): string | null {
  // The package.json of the package holding `file` (onnxruntime-node: dist/index.js → ../).
  for (let dir = dirname(file), i = 0; i < 4; i++, dir = dirname(dir)) {
    try {
      const pj = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
        name?: string;
        version?: string;
      };
      if (pj.name && pj.version) return pj.version;
    } catch {
      // keep walking up
    }
  }
  return null;
}

/** Reads what is installed for the local engine. */
export function describeLocalEngine(env: NodeJS.ProcessEnv = process.env): LocalEngineStatus {
  const web = findWebRuntime();
  const node = findNodeRuntime(env);
  // The one `-p local` would load: the first of the registry that is here.
  const active: LocalRuntimeName | null = LOCAL_RUNTIMES.find((r) => r.find(env))?.name ?? null;
  const threads = availableParallelism();
  const models = (Object.keys(LOCAL_MODELS) as LocalModel[]).map((model): LocalModelStatus => {
    const found = modelNets(model).map((n) => findModelFile(model, n, env));
    const all = found.every(Boolean) ? found[0] : undefined;
    const seconds = MEASURED_SECONDS_2_CORES[active ?? 'onnxruntime-web'][model];
    const native = MEASURED_SECONDS_2_CORES['onnxruntime-node'][model];
    const onThreads = (s: number) => Math.round(((s * 2) / Math.max(1, threads)) * 10) / 10;
    return {
      model,
      default: model === DEFAULT_LOCAL_MODEL,
      origin: all?.origin ?? null,
      weights: all?.weights ?? null,
      sizeMB: LOCAL_MODELS[model].sizeMB,
      expectedSeconds: onThreads(seconds),
      withAddedRuntimeSeconds: !node && seconds >= MUCH_FASTER * native ? onThreads(native) : null,
    };
  });
  return {
    active,
    threads,
    runtimes: [
      {
        name: 'onnxruntime-web',
        present: web !== undefined,
        version: web ? WEB_RUNTIME.version : null,
        where: web ? dirname(web) : null,
        origin: web ? 'package' : null,
      },
      {
        name: 'onnxruntime-node',
        present: node !== undefined,
        version: node ? versionNear(node.entry) : null,
        where: node ? (node.origin === 'added' ? nodeRuntimePrefix(env) : dirname(node.entry)) : null,
        origin: node?.origin ?? null,
      },
    ],
    models,
  };
}
