/**
 * `upscale local add-runtime` and `upscale local add-model <model>`: opt-in pieces of the local
 * engine, installed with npm into the user's data folder (UPSCALE_DATA_DIR moves it), where
 * `-p local` picks them up. `--from <tarball|folder>` installs from a local copy instead of the
 * registry (offline machines, tests).
 */
import { spawn } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import {
  addModelFromPackage,
  ensureCommonRuntime,
  folderBytes,
  LOCAL_MODELS,
  type LocalModel,
  localDataDir,
  localPackages,
  MODEL_INTERNALS,
  NODE_RUNTIME,
  nodeRuntimePrefix,
  placePackage,
  pruneNodeRuntime,
  unpackedRoot,
} from '../../api/local-engine.js';
import { UpscaleError, usageError } from '../../errors.js';
import type { Terminal } from '../terminal.js';

export interface AddFlags {
  from?: string;
  json?: boolean;
}

const MB = (bytes: number) => `${(bytes / 1e6).toFixed(0)} MB`;

/** Runs npm with its output on our stderr; rejects with the exit code. */
function npm(args: string[], env: NodeJS.ProcessEnv, term: Terminal): Promise<void> {
  return new Promise((done, fail) => {
    const child = spawn('npm', args, {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
      shell: process.platform === 'win32',
    });
    let output = '';
    const keep = (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-4000);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.on('error', (error) =>
      fail(
        new UpscaleError('LOCAL_ENGINE', 'cannot run npm', {
          hint: 'install Node.js with npm',
          cause: error,
        }),
      ),
    );
    child.on('close', (code) => {
      if (code === 0) return done();
      term.stderr.write(output);
      fail(
        new UpscaleError('LOCAL_ENGINE', `npm ${args.slice(0, 2).join(' ')} … failed (exit ${code})`, {
          hint: 'see npm’s output above; check the network or pass --from <tarball|folder>',
        }),
      );
    });
  });
}

/** The npm spec to install: the pinned registry version, or a local tarball/folder. */
function specOf(from: string | undefined, registrySpec: string): { spec: string; extra: string[] } {
  if (!from) return { spec: registrySpec, extra: [] };
  const path = resolve(from);
  if (!existsSync(path))
    throw usageError(`--from ${from}: no such file or folder`, 'give a .tgz or a package folder');
  // A folder would be symlinked; copy it like a registry package instead.
  return { spec: path, extra: statSync(path).isDirectory() ? ['--install-links'] : [] };
}

/** Installs `spec` into the npm prefix `prefix` (its own package.json, so npm does not climb up). */
async function npmInstallInto(prefix: string, spec: string, extra: string[], term: Terminal): Promise<void> {
  await mkdir(prefix, { recursive: true });
  const manifest = join(prefix, 'package.json');
  if (!existsSync(manifest))
    await writeFile(manifest, `${JSON.stringify({ name: 'upscale-local-data', private: true }, null, 2)}\n`);
  const env = { ...process.env, ONNXRUNTIME_NODE_INSTALL: 'skip', ONNXRUNTIME_NODE_INSTALL_CUDA: 'skip' };
  await npm(
    [
      'install',
      '--prefix',
      prefix,
      // onnxruntime-node's install script only fetches CUDA files (skipped above); the model
      // packages' peer dependency is TF.js (~270 MB), which the conversion never loads.
      '--ignore-scripts',
      '--legacy-peer-deps',
      '--no-audit',
      '--no-fund',
      '--omit=dev',
      ...extra,
      spec,
    ],
    env,
    term,
  );
}

/** Unpacks a tarball into `dir` with the system's tar (GNU tar, bsdtar: Linux, macOS, Windows 10+). */
function untar(file: string, dir: string): Promise<void> {
  return new Promise((done, fail) => {
    const child = spawn('tar', ['-xzf', file, '-C', dir], { stdio: ['ignore', 'ignore', 'pipe'] });
    let output = '';
    child.stderr.on('data', (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-2000);
    });
    const refuse = (why: string, cause?: unknown) =>
      fail(
        new UpscaleError('LOCAL_ENGINE', `cannot unpack ${file}: ${why}`, {
          hint: 'give a .tgz made by npm pack, or the unpacked package folder',
          cause,
        }),
      );
    child.on('error', (error) => refuse('no tar program here', error));
    child.on('close', (code) => (code === 0 ? done() : refuse(output.trim() || `tar exited ${code}`)));
  });
}

/**
 * `--from`: the packages it names are placed into the npm prefix as they are, without npm and
 * without the registry: onnxruntime-node and any dependencies given beside it (a folder of
 * .tgz files); onnxruntime-common, the one it needs at run time, is this package's own copy
 * when not given. Returns the packages placed.
 */
async function placeLocalPackages(prefix: string, from: string): Promise<string[]> {
  const path = resolve(from);
  if (!existsSync(path))
    throw usageError(`--from ${from}: no such file or folder`, 'give a .tgz or a package folder');
  const packages = await localPackages(path);
  if (packages.length === 0)
    throw usageError(
      `--from ${from}: no package there (no package.json, no .tgz files)`,
      'give onnxruntime-node as a .tgz or a folder, or a folder of .tgz files (it and its dependencies)',
    );
  await mkdir(prefix, { recursive: true });
  const placed: string[] = [];
  for (const p of packages) {
    if (p.kind === 'folder') {
      const { name, version } = await placePackage(p.path, prefix);
      placed.push(`${name}@${version}`);
      continue;
    }
    const scratch = await mkdtemp(join(prefix, '.unpack-'));
    try {
      await untar(p.path, scratch);
      const { name, version } = await placePackage(await unpackedRoot(scratch), prefix).catch(
        (error: unknown) => {
          throw new UpscaleError(
            'LOCAL_ENGINE',
            `${p.path} is not an npm package: ${(error as Error).message}`,
            {
              hint: 'give a .tgz made by npm pack, or the unpacked package folder',
              cause: error,
            },
          );
        },
      );
      placed.push(`${name}@${version}`);
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  }
  const common = await ensureCommonRuntime(prefix);
  if (common === 'upscale') placed.push(`onnxruntime-common@${NODE_RUNTIME.version} (upscale's own)`);
  return placed;
}

/** `upscale local add-runtime [--from <tgz|folder|folder of tgz>]`. */
export async function addRuntimeCommand(flags: AddFlags, term: Terminal): Promise<number> {
  const prefix = nodeRuntimePrefix();
  if (!flags.json) term.stderr.write(`Installing ${NODE_RUNTIME.package} (CPU only) into ${prefix} …\n`);
  let placed: string[] | undefined;
  if (flags.from) placed = await placeLocalPackages(prefix, flags.from);
  else await npmInstallInto(prefix, `${NODE_RUNTIME.package}@${NODE_RUNTIME.version}`, [], term);
  const pkgDir = join(prefix, 'node_modules', NODE_RUNTIME.package);
  if (!existsSync(join(pkgDir, 'package.json')))
    throw new UpscaleError('LOCAL_ENGINE', `no ${NODE_RUNTIME.package} was installed into ${prefix}`, {
      hint: '--from must be an onnxruntime-node package (.tgz or folder), or a folder of .tgz files holding it',
    });
  const freed = await pruneNodeRuntime(pkgDir);
  // Loading it proves the binary fits this machine (the engine would silently fall back otherwise).
  const { findNodeRuntime, loadRuntime } = await import('../../api/local-engine.js');
  const runtime = await loadRuntime('onnxruntime-node', 1).catch((error: unknown) => {
    throw new UpscaleError('LOCAL_ENGINE', `${NODE_RUNTIME.package} was installed but does not load here`, {
      hint: `remove ${prefix} and use the bundled runtime (nothing else changes)`,
      cause: error,
    });
  });
  const bytes = await folderBytes(prefix);
  const result = {
    runtime: runtime.name,
    where: prefix,
    entry: findNodeRuntime()?.entry ?? null,
    diskBytes: bytes,
    prunedBytes: freed,
    ...(placed ? { packages: placed } : {}),
  };
  if (flags.json) term.stdout.write(`${JSON.stringify(result)}\n`);
  else
    term.stdout.write(
      `${NODE_RUNTIME.package} added: ${MB(bytes)} in ${prefix}` +
        `${freed > 0 ? ` (other platforms' binaries removed: ${MB(freed)})` : ''}.\n` +
        (placed ? `From local packages, without the registry: ${placed.join(', ')}.\n` : '') +
        '-p local now uses it (about 4x faster than the bundled WebAssembly runtime); remove the folder to undo.\n',
    );
  return 0;
}

/** `upscale local add-model <model> [--from <tgz|folder>]`. */
export async function addModelCommand(model: string, flags: AddFlags, term: Terminal): Promise<number> {
  if (!(model in LOCAL_MODELS))
    throw usageError(
      `add-model: unknown model "${model}"`,
      `use one of ${Object.keys(LOCAL_MODELS).join(', ')}`,
    );
  const m = model as LocalModel;
  const pkg = LOCAL_MODELS[m].package;
  if ((LOCAL_MODELS[m].shipped && !flags.from) || !pkg) {
    term.stdout.write(`${m} is part of the package: nothing to add.\n`);
    return 0;
  }
  const { spec, extra } = specOf(flags.from, `${pkg}@${MODEL_INTERNALS[m].version}`);
  // The package is only needed while converting: install it aside, convert, remove it.
  const scratch = join(localDataDir(), `.add-model-${process.pid}`);
  if (!flags.json) term.stderr.write(`Fetching ${pkg} and converting it to ONNX (float16) …\n`);
  try {
    await npmInstallInto(scratch, spec, extra, term);
    const pkgDir = join(scratch, 'node_modules', ...pkg.split('/'));
    if (!existsSync(join(pkgDir, 'package.json')))
      throw new UpscaleError('LOCAL_ENGINE', `npm installed no ${pkg}`, {
        hint: `--from must be a ${pkg} package (.tgz or folder)`,
      });
    const added = await addModelFromPackage(m, pkgDir).catch((error: unknown) => {
      throw new UpscaleError('LOCAL_ENGINE', `cannot convert ${pkg}: ${(error as Error).message}`, {
        hint: `--from must be a ${pkg} package`,
        cause: error,
      });
    });
    if (flags.json)
      term.stdout.write(`${JSON.stringify({ model: m, where: added.dir, diskBytes: added.bytes })}\n`);
    else
      term.stdout.write(
        `${m} added (${pkg}@${added.version}): ${MB(added.bytes)} in ${added.dir}.\n` +
          `Use it with: upscale IMAGE -p local --model ${m}\n`,
      );
    return 0;
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}
