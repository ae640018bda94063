/**
 * The file work behind `upscale local add-runtime` and `add-model`: where things go, what to
 * keep, what to convert, and placing local packages (`--from`) without npm. The npm install and
 * the unpacking of tarballs are the CLI's (src/cli/commands/local.ts): the engine never reaches
 * the network.
 */
import { cp, mkdir, readdir, readFile, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { addedModelsDir } from './assets.js';
import { writePackageModels } from './convert-package.js';
import { findPackageDir, LOCAL_MODELS, type LocalModel } from './models.js';

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

/** One package `--from` names: a tarball to unpack, or a package folder. */
export interface LocalPackage {
  kind: 'tgz' | 'folder';
  path: string;
}

const isTarball = (name: string) => /\.(tgz|tar\.gz)$/i.test(name);

/**
 * What `--from` names: one package (a .tgz or a folder with a package.json), or a folder of
 * .tgz files (a package and its dependencies, as `npm pack` writes them). Empty when it holds
 * neither.
 */
export async function localPackages(from: string): Promise<LocalPackage[]> {
  const s = await stat(from);
  if (!s.isDirectory()) return [{ kind: 'tgz', path: from }];
  if ((await stat(join(from, 'package.json')).catch(() => undefined))?.isFile())
    return [{ kind: 'folder', path: from }];
  const names = (await readdir(from)).filter(isTarball).sort();
  return names.map((name) => ({ kind: 'tgz' as const, path: join(from, name) }));
}

/** The one folder an unpacked tarball holds (`package/` for `npm pack`). */
export async function unpackedRoot(dir: string): Promise<string> {
  const entries = (await readdir(dir, { withFileTypes: true })).filter((e) => e.isDirectory());
  if (entries.length !== 1)
    throw new Error(`the tarball holds ${entries.length} top folders, not one package`);
  return join(dir, entries[0]!.name);
}

/**
 * Copies an unpacked package folder to `<prefix>/node_modules/<its name>` (replacing what was
 * there); returns its name and version.
 */
export async function placePackage(dir: string, prefix: string): Promise<{ name: string; version: string }> {
  const { name, version } = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')) as {
    name?: unknown;
    version?: unknown;
  };
  if (typeof name !== 'string' || !/^(@[\w.-]+\/)?[\w.-]+$/.test(name))
    throw new Error(`${dir} has no valid package name`);
  const to = join(prefix, 'node_modules', ...name.split('/'));
  await rm(to, { recursive: true, force: true });
  await mkdir(dirname(to), { recursive: true });
  await cp(dir, to, { recursive: true });
  return { name, version: typeof version === 'string' ? version : '' };
}

/**
 * onnxruntime-node needs one package at run time, onnxruntime-common (its other dependencies
 * serve only its install script, which never runs here). When `--from` did not bring it, this
 * package's own copy is used: the same pinned version. Returns where it came from, or undefined
 * when it is nowhere.
 */
export async function ensureCommonRuntime(prefix: string): Promise<'given' | 'upscale' | undefined> {
  const common = 'onnxruntime-common';
  if ((await stat(join(prefix, 'node_modules', common, 'package.json')).catch(() => undefined))?.isFile())
    return 'given';
  const ours = findPackageDir(common);
  if (!ours) return undefined;
  await placePackage(ours, prefix);
  return 'upscale';
}
