/**
 * Loads an ONNX runtime lazily and wraps a session as a simple tensor-in,
 * tensor-out runner.
 *
 * Two runtimes share one API (onnxruntime-common):
 * - onnxruntime-web's WebAssembly backend, three files copied into dist/runtime at build
 *   time (see build/build-assets.ts): pure JS + wasm, works everywhere. The default.
 * - onnxruntime-node: native, ~4x faster, ~50 MB on disk. Not a dependency (its package
 *   carries every platform's binaries, ~290 MB); `upscale local add-runtime` installs it into
 *   the user's data folder, and a copy installed beside this package is used too.
 *
 * The types below are the small structural subset we call, so this file
 * type-checks whether or not either runtime is present.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { nodeRuntimePrefix, shippedRuntimeDir, WEB_RUNTIME_FILES } from './assets.js';
import { LocalEngineMissingError } from './errors.js';
import { addCommand, findPackageDir, NODE_RUNTIME } from './models.js';

/** Runtime names as reported in results and the bench. */
export type LocalRuntimeName = 'onnxruntime-web' | 'onnxruntime-node';
/** 'auto' = onnxruntime-node when installed and loadable, else onnxruntime-web. */
export type LocalRuntimePreference = 'auto' | LocalRuntimeName;

interface OrtTensor {
  readonly dims: readonly number[];
  readonly data: unknown;
}
interface OrtSession {
  run(feeds: Record<string, OrtTensor>): Promise<Record<string, OrtTensor | undefined>>;
  release(): Promise<void>;
}
interface OrtModule {
  Tensor: new (type: 'float32', data: Float32Array, dims: readonly number[]) => OrtTensor;
  InferenceSession: { create(model: Uint8Array, options?: Record<string, unknown>): Promise<OrtSession> };
  env: { logLevel?: string; wasm: { numThreads?: number } };
}

/** One loaded model: NCHW float32 (0..255) in, NCHW float32 out. */
export interface ModelRunner {
  run(
    input: Float32Array,
    height: number,
    width: number,
  ): Promise<{ data: Float32Array; height: number; width: number }>;
  release(): Promise<void>;
}

/** A runtime ready to create runners. */
export interface LoadedRuntime {
  name: LocalRuntimeName;
  /** Threads actually used (onnxruntime-web fixes this at first use in a process). */
  threads: number;
  createRunner(onnx: Uint8Array, inputName: string, outputName: string): Promise<ModelRunner>;
}

/**
 * V8 flags that make the bundled runtime start fast: its 14 MB WebAssembly module holds all of
 * onnxruntime, of which a model runs a small part. By default V8 (Node 20) validates and
 * compiles every function of it before the first call, then recompiles the hot ones: 1.2 s of
 * CPU before the first tile and 2 s more while the first tiles run, on every run (a compiled
 * wasm module cannot be cached across processes in Node 20). Lazily, only the functions a model
 * calls are validated and compiled, when first called (the default from V8 12, Node 22).
 * Measured in docs/local-engine.md (Start-up). They change when code is compiled, never what
 * it computes, and apply to wasm compiled later in this process.
 */
export const FAST_WASM_START_FLAGS = ['--wasm-lazy-compilation', '--wasm-lazy-validation'] as const;

// onnxruntime-web reads env.wasm.numThreads once, when its wasm module starts;
// later sessions in the same process get that count whatever they ask for.
let webThreads: number | undefined;

/** Where onnxruntime-node is: the data folder (add-runtime) first, then beside this package. */
export function findNodeRuntime(
  env: NodeJS.ProcessEnv = process.env,
): { entry: string; origin: 'added' | 'package' } | undefined {
  const prefix = nodeRuntimePrefix(env);
  if (existsSync(join(prefix, 'node_modules', NODE_RUNTIME.package, 'package.json'))) {
    try {
      return { entry: createRequire(join(prefix, 'noop.js')).resolve(NODE_RUNTIME.package), origin: 'added' };
    } catch {
      // a broken install: fall through
    }
  }
  const beside = findPackageDir(NODE_RUNTIME.package);
  if (beside) {
    try {
      return { entry: createRequire(join(beside, 'noop.js')).resolve(beside), origin: 'package' };
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/** The bundled runtime's entry module, if the build put it there. */
export function findWebRuntime(): string | undefined {
  const dir = shippedRuntimeDir();
  const entry = dir && join(dir, WEB_RUNTIME_FILES.entry);
  return entry && existsSync(entry) && existsSync(join(dir, WEB_RUNTIME_FILES.wasm)) ? entry : undefined;
}

async function importOrt(file: string): Promise<OrtModule | undefined> {
  try {
    const mod = (await import(pathToFileURL(file).href)) as OrtModule & { default?: OrtModule };
    // onnxruntime-node is CommonJS: its API may sit on `default`.
    return mod.InferenceSession ? mod : mod.default;
  } catch {
    return undefined;
  }
}

function toFloat32(t: OrtTensor | undefined, what: string): Float32Array {
  if (!t || !(t.data instanceof Float32Array))
    throw new Error(`local upscaler: ${what} is not a float32 tensor`);
  return t.data;
}

/**
 * Imports the preferred runtime. Rejects with {@link LocalEngineMissingError}
 * (carrying the command that adds it) when none can be loaded.
 */
export async function loadRuntime(
  preference: LocalRuntimePreference,
  threads: number,
): Promise<LoadedRuntime> {
  if (preference !== 'onnxruntime-web') {
    const found = findNodeRuntime();
    const ort = found ? await importOrt(found.entry) : undefined;
    if (ort) return nodeRuntime(ort, threads);
    if (preference === 'onnxruntime-node') {
      throw new LocalEngineMissingError(
        found
          ? 'onnxruntime-node is installed but cannot load (no binary for this platform?).'
          : 'onnxruntime-node is not installed.',
        addCommand('runtime'),
        [NODE_RUNTIME.package],
      );
    }
  }
  const entry = findWebRuntime();
  if (entry && webThreads === undefined) for (const flag of FAST_WASM_START_FLAGS) setFlagsFromString(flag);
  const ort = entry ? await importOrt(entry) : undefined;
  if (!ort) {
    throw new LocalEngineMissingError(
      `The local engine's WebAssembly runtime is missing from this installation of upscale (${entry ?? 'dist/runtime'}).`,
      'npm run build (in a clone), or reinstall upscale',
      [WEB_RUNTIME_FILES.entry],
    );
  }
  return webRuntime(ort, threads);
}

function webRuntime(ort: OrtModule, threads: number): LoadedRuntime {
  if (webThreads === undefined) {
    webThreads = threads;
    ort.env.wasm.numThreads = threads;
    // Keep the runtime quiet: this library never writes to stdout/stderr.
    ort.env.logLevel = 'error';
  }
  return {
    name: 'onnxruntime-web',
    threads: webThreads,
    createRunner: (onnx, inputName, outputName) =>
      createRunner(ort, onnx, inputName, outputName, { executionProviders: ['wasm'], logSeverityLevel: 3 }),
  };
}

function nodeRuntime(ort: OrtModule, threads: number): LoadedRuntime {
  return {
    name: 'onnxruntime-node',
    threads,
    createRunner: (onnx, inputName, outputName) =>
      createRunner(ort, onnx, inputName, outputName, {
        executionProviders: ['cpu'],
        intraOpNumThreads: threads,
        interOpNumThreads: 1,
        logSeverityLevel: 3,
      }),
  };
}

async function createRunner(
  ort: OrtModule,
  onnx: Uint8Array,
  inputName: string,
  outputName: string,
  options: Record<string, unknown>,
): Promise<ModelRunner> {
  const session = await ort.InferenceSession.create(onnx, options);
  return {
    async run(input, height, width) {
      const out = await session.run({ [inputName]: new ort.Tensor('float32', input, [1, 3, height, width]) });
      const t = out[outputName];
      const data = toFloat32(t, outputName);
      const [, , h, w] = t!.dims;
      if (h === undefined || w === undefined || data.length !== 3 * h * w)
        throw new Error('local upscaler: unexpected output shape');
      return { data, height: h, width: w };
    },
    release: () => session.release(),
  };
}
