/**
 * onnxruntime-web's WebAssembly backend, three files copied into dist/runtime at build time
 * (see build/build-assets.ts): pure JS + wasm, works everywhere. The default.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { shippedRuntimeDir, WEB_RUNTIME_FILES } from '../assets.js';
import { LocalEngineMissingError } from '../errors.js';
import type { LocalRuntime } from './types.js';

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
export const FAST_WASM_START_FLAGS = [
  '--wasm-lazy-compilation',
  '--wasm-lazy-validation',
  // V8 re-optimises a wasm function once it has run ~1.8 MB of its code. For onnxruntime that
  // means some 150 functions, most of them barely used, compiled by TurboFan on the same two
  // cores as the tiles (one took 0.85 s); at 100x the budget the ~10 hot kernels are still
  // optimised within the first tiles, and little else. Measured in docs/local-engine.md.
  '--wasm-tiering-budget=180000000',
] as const;

// onnxruntime-web reads env.wasm.numThreads once, when its wasm module starts;
// later sessions in the same process get that count whatever they ask for.
let webThreads: number | undefined;

/** The bundled runtime's entry module, if the build put it there. */
export function findWebRuntime(): string | undefined {
  const dir = shippedRuntimeDir();
  const entry = dir && join(dir, WEB_RUNTIME_FILES.entry);
  return entry && existsSync(entry) && existsSync(join(dir, WEB_RUNTIME_FILES.wasm)) ? entry : undefined;
}

export const webRuntime: LocalRuntime<'onnxruntime-web'> = {
  name: 'onnxruntime-web',
  find: () => findWebRuntime(),
  beforeImport() {
    if (webThreads === undefined) for (const flag of FAST_WASM_START_FLAGS) setFlagsFromString(flag);
  },
  configure(ort, threads) {
    if (webThreads === undefined) {
      webThreads = threads;
      ort.env.wasm.numThreads = threads;
      // Keep the runtime quiet: this library never writes to stdout/stderr.
      ort.env.logLevel = 'error';
    }
    return { threads: webThreads, sessionOptions: { executionProviders: ['wasm'], logSeverityLevel: 3 } };
  },
  missing: (entry) =>
    new LocalEngineMissingError(
      `The local engine's WebAssembly runtime is missing from this installation of upscale (${entry ?? 'dist/runtime'}).`,
      'npm run build (in a clone), or reinstall upscale',
      [WEB_RUNTIME_FILES.entry],
    ),
};
