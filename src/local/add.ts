/**
 * The file work behind `upscale local add-runtime` and `add-model`: where things go, what to
 * keep, what to convert. The npm install itself is the CLI's (src/cli/commands/local.ts): the
 * engine never reaches the network.
 */
import { readdir, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { addedModelsDir } from './assets.js';
import { writePackageModels } from './convert-package.js';
import { LOCAL_MODELS, type LocalModel } from './models.js';

/** Bytes under `path` (files only; symlinks not followed). */
export async function folderBytes(path: string): Promise<number> {
  const s = await stat(path).catch(() => undefined);
  if (!s) return 0;
  if (!s.isDirectory()) return s.size;
  let total = 0;
  for (const e of await readdir(path, { withFileTypes: true }))
    if (!e.isSymbolicLink()) total += await folderBytes(join(path, e.name));
  return total;
}

/**
 * onnxruntime-node ships every platform's binaries (~290 MB): keep only this platform's. Returns
 * the bytes freed. Unknown layouts are left alone.
 */
export async function pruneNodeRuntime(
  packageDir: string,
  platform: string = process.platform,
  arch: string = process.arch,
): Promise<number> {
  let freed = 0;
  const bin = join(packageDir, 'bin');
  for (const napi of await readdir(bin).catch(() => [] as string[])) {
    for (const os of await readdir(join(bin, napi)).catch(() => [] as string[])) {
      const osDir = join(bin, napi, os);
      const targets =
        os === platform
          ? (await readdir(osDir).catch(() => [] as string[])).filter((a) => a !== arch)
          : ['.'];
      for (const t of targets) {
        const dir = join(osDir, t);
        freed += await folderBytes(dir);
        await rm(dir, { recursive: true, force: true });
      }
    }
  }
  return freed;
}

/**
 * Converts an installed @upscalerjs model package (`pkgDir`) into the data folder's models,
 * where the engine finds them. Returns the bytes written.
 */
export async function addModelFromPackage(
  model: LocalModel,
  pkgDir: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ dir: string; bytes: number; version: string }> {
  const { name, version } = JSON.parse(await readFile(join(pkgDir, 'package.json'), 'utf8')) as {
    name?: string;
    version: string;
  };
  if (name !== LOCAL_MODELS[model].package)
    throw new Error(`${pkgDir} holds ${name ?? 'no package'}, not ${LOCAL_MODELS[model].package}`);
  const dir = addedModelsDir(env);
  const files = await writePackageModels(model, dir, { pkgDir, sourceVersion: version });
  return { dir, bytes: files.reduce((n, f) => n + f.bytes, 0), version };
}
