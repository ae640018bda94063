/**
 * Loads an ONNX runtime lazily and wraps a session as a simple tensor-in,
 * tensor-out runner.
 *
 * Two runtimes share one API (onnxruntime-common):
 * - onnxruntime-web: WebAssembly with worker threads; pure JS, so it installs
 *   everywhere with a plain `npm install`. The default.
 * - onnxruntime-node: native, ~3x faster, but not a dependency because its
 *   install script fetches CUDA libraries from outside the npm registry on
 *   linux-x64. Used automatically when the user has installed it.
 *
 * The types below are the small structural subset we call, so this file
 * type-checks whether or not either optional package is installed.
 */
import { LocalEngineMissingError } from './errors.js';
import { findPackageDir, installCommand, NODE_RUNTIME, WEB_RUNTIME } from './models.js';

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

// onnxruntime-web reads env.wasm.numThreads once, when its wasm module starts;
// later sessions in the same process get that count whatever they ask for.
let webThreads: number | undefined;

async function importOrt(name: LocalRuntimeName): Promise<OrtModule | undefined> {
  try {
    const mod = (await import(name)) as OrtModule & { default?: OrtModule };
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
 * (carrying the install command) when none can be loaded.
 */
export async function loadRuntime(
  preference: LocalRuntimePreference,
  threads: number,
): Promise<LoadedRuntime> {
  if (preference !== 'onnxruntime-web') {
    const ort =
      preference === 'auto' && !findPackageDir(NODE_RUNTIME.package)
        ? undefined
        : await importOrt('onnxruntime-node');
    if (ort) return nodeRuntime(ort, threads);
    if (preference === 'onnxruntime-node') {
      const spec = `${NODE_RUNTIME.package}@${NODE_RUNTIME.version}`;
      throw new LocalEngineMissingError(
        'onnxruntime-node is not installed (or has no binary for this platform).',
        `ONNXRUNTIME_NODE_INSTALL=skip ${installCommand([spec])}`,
        [NODE_RUNTIME.package],
      );
    }
  }
  const ort = await importOrt('onnxruntime-web');
  if (!ort) {
    throw new LocalEngineMissingError(
      'The local provider needs onnxruntime-web, which is not installed.',
      installCommand([`${WEB_RUNTIME.package}@${WEB_RUNTIME.version}`]),
      [WEB_RUNTIME.package],
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
