/**
 * onnxruntime-node: native, ~4x faster, ~50 MB on disk. Not a dependency (its package carries
 * every platform's binaries, ~290 MB); `upscale local add-runtime` installs it into the user's
 * data folder, and a copy installed beside this package is used too.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { nodeRuntimePrefix } from '../assets.js';
import { LocalEngineMissingError } from '../errors.js';
import { addCommand, findPackageDir, NODE_RUNTIME } from '../models.js';
import type { LocalRuntime } from './types.js';

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

export const nodeRuntime: LocalRuntime<'onnxruntime-node'> = {
  name: 'onnxruntime-node',
  find: (env) => findNodeRuntime(env)?.entry,
  configure: (_ort, threads) => ({
    threads,
    sessionOptions: {
      executionProviders: ['cpu'],
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
      logSeverityLevel: 3,
    },
  }),
  missing: (entry) =>
    new LocalEngineMissingError(
      entry
        ? 'onnxruntime-node is installed but cannot load (no binary for this platform?).'
        : 'onnxruntime-node is not installed.',
      addCommand('runtime'),
      [NODE_RUNTIME.package],
    ),
};
