/**
 * Loads an ONNX runtime lazily and wraps a session as a simple tensor-in,
 * tensor-out runner.
 *
 * The runtimes (onnxruntime-web's WebAssembly backend, bundled and the default;
 * onnxruntime-node, added by `upscale local add-runtime`) share one API
 * (onnxruntime-common); each is one file of src/local/runtimes/, listed in order of
 * preference in src/local/runtimes/index.ts, which this file asks.
 */
import { pathToFileURL } from 'node:url';
import {
  LOCAL_RUNTIMES,
  type LocalRuntime,
  type LocalRuntimeName,
  type OrtModule,
} from './runtimes/index.js';
import type { OrtTensor } from './runtimes/types.js';

export {
  FAST_WASM_START_FLAGS,
  findNodeRuntime,
  findWebRuntime,
  type LocalRuntimeName,
} from './runtimes/index.js';
/** 'auto' = the first runtime of the registry that is here and loads (onnxruntime-node, else onnxruntime-web). */
export type LocalRuntimePreference = 'auto' | LocalRuntimeName;

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
  // A named runtime alone; 'auto' (or a name no runtime has) every runtime, in order.
  const named = LOCAL_RUNTIMES.filter((r) => r.name === preference);
  const candidates: readonly LocalRuntime<LocalRuntimeName>[] = named.length > 0 ? named : LOCAL_RUNTIMES;
  let last: { runtime: LocalRuntime<LocalRuntimeName>; entry: string | undefined } | undefined;
  for (const runtime of candidates) {
    const entry = runtime.find();
    if (entry) runtime.beforeImport?.();
    const ort = entry ? await importOrt(entry) : undefined;
    if (ort) {
      const { threads: used, sessionOptions } = runtime.configure(ort, threads);
      return {
        name: runtime.name,
        threads: used,
        createRunner: (onnx, inputName, outputName) =>
          createRunner(ort, onnx, inputName, outputName, sessionOptions),
      };
    }
    last = { runtime, entry };
  }
  // The last one tried says what is missing (under 'auto': the bundled runtime).
  if (!last) throw new Error('local upscaler: no runtime is registered');
  throw last.runtime.missing(last.entry);
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
