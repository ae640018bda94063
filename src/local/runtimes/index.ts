/**
 * The local engine's ONNX runtimes, one file each: a new runtime is one file in this folder
 * and one line here (CONTRIBUTING.md, "Adding a local runtime").
 */
import { nodeRuntime } from './node.js';
import type { LocalRuntime } from './types.js';
import { webRuntime } from './web.js';

/** In order of preference: 'auto' loads the first that is here and loads. */
export const LOCAL_RUNTIMES = [nodeRuntime, webRuntime] as const satisfies readonly LocalRuntime[];

/** Runtime names as reported in results and the bench. */
export type LocalRuntimeName = (typeof LOCAL_RUNTIMES)[number]['name'];

export { findNodeRuntime } from './node.js';
export type { LocalRuntime, OrtModule } from './types.js';
export { FAST_WASM_START_FLAGS, findWebRuntime } from './web.js';
