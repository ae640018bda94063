/**
 * The local engine's opt-in pieces, as `upscale local add-runtime` and `add-model` install them:
 * models, the native runtime, and where they are kept.
 */
export {
  addModelFromPackage,
  ensureCommonRuntime,
  folderBytes,
  localPackages,
  placePackage,
  pruneNodeRuntime,
  unpackedRoot,
} from '../local/add.js';
export { localDataDir, nodeRuntimePrefix } from '../local/assets.js';
export { LOCAL_MODELS, type LocalModel, MODEL_INTERNALS, NODE_RUNTIME } from '../local/models.js';
export { findNodeRuntime, loadRuntime } from '../local/runtime.js';
