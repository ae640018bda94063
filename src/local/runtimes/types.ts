/**
 * What a local runtime is (one file per runtime in this folder, listed in index.ts), and the
 * small structural subset of onnxruntime-common's API we call: both runtimes share that API,
 * so this folder type-checks whether or not either runtime is present.
 */
import type { LocalEngineMissingError } from '../errors.js';

export interface OrtTensor {
  readonly dims: readonly number[];
  readonly data: unknown;
}
export interface OrtSession {
  run(feeds: Record<string, OrtTensor>): Promise<Record<string, OrtTensor | undefined>>;
  release(): Promise<void>;
}
export interface OrtModule {
  Tensor: new (type: 'float32', data: Float32Array, dims: readonly number[]) => OrtTensor;
  InferenceSession: { create(model: Uint8Array, options?: Record<string, unknown>): Promise<OrtSession> };
  env: { logLevel?: string; wasm: { numThreads?: number } };
}

/** One ONNX runtime the local engine can load (src/local/runtimes/<name>.ts). */
export interface LocalRuntime<Name extends string = string> {
  /** As reported in results, `upscale providers local` and the bench; also its `runtime` preference. */
  readonly name: Name;
  /** Its entry module (imported as is), or undefined when it is not here. */
  find(env?: NodeJS.ProcessEnv): string | undefined;
  /** Run once a found entry is about to be imported (process-wide settings). */
  beforeImport?(): void;
  /**
   * Sets the imported module up for `threads`: the threads it actually uses and the options
   * each session (`InferenceSession.create`) is made with.
   */
  configure(ort: OrtModule, threads: number): { threads: number; sessionOptions: Record<string, unknown> };
  /** The error when it cannot be loaded: `entry` is what `find` gave (undefined: not here). */
  missing(entry: string | undefined): LocalEngineMissingError;
}
