/**
 * Build step (`npm run build`, after tsc): writes what the local engine needs at run time into
 * dist/, from devDependencies, so a user's install carries no TF.js and no unused runtime files.
 *
 * - dist/models/: photo (this repository's weights, src/local/weights) and slim and medium (from
 *   @upscalerjs/esrgan-*), TF.js layers models converted to ONNX with float16 weights, plus
 *   models.json and the packages' MIT licence;
 * - dist/runtime/: the three files of onnxruntime-web that run a model in Node (the Node entry,
 *   the threaded wasm factory and its .wasm), plus their licence. Their one import,
 *   onnxruntime-common, is a (1 MB, dependency-free) dependency of this package.
 *
 * Both steps are skipped when their output is newer than every input (a rebuild takes ~0.1 s).
 */
import { copyFile, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WEB_RUNTIME_FILES } from '../assets.js';
import { writePackageModels } from '../convert-package.js';
import {
  findModelDir,
  findPackageDir,
  LOCAL_MODELS,
  type LocalModel,
  MODEL_INTERNALS,
  modelNets,
  repoWeightsDir,
  WEB_RUNTIME,
} from '../models.js';

const dist = fileURLToPath(new URL('../../', import.meta.url));

async function mtime(path: string): Promise<number> {
  try {
    return (await stat(path)).mtimeMs;
  } catch {
    return Number.NaN;
  }
}

/** True when `output` exists and is newer than every input. */
async function upToDate(output: string, inputs: readonly string[]): Promise<boolean> {
  const out = await mtime(output);
  if (Number.isNaN(out)) return false;
  for (const i of inputs) if (!((await mtime(i)) <= out)) return false;
  return true;
}

function need(pkg: string): string {
  const dir = findPackageDir(pkg);
  if (!dir) throw new Error(`build-assets: ${pkg} is not installed (a devDependency): run npm ci`);
  return dir;
}

async function versionOf(pkgDir: string): Promise<string> {
  return (JSON.parse(await readFile(join(pkgDir, 'package.json'), 'utf8')) as { version: string }).version;
}

const MIT_HEADER = (what: string, copyright: string) =>
  `${what}\n\nMIT License\n\n${copyright}\n\nPermission is hereby granted, free of charge, to any person obtaining a copy
of this software and associated documentation files (the "Software"), to deal
in the Software without restriction, including without limitation the rights
to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all
copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
SOFTWARE.
`;

async function buildModels(): Promise<string> {
  const out = join(dist, 'models');
  const shipped = (Object.keys(LOCAL_MODELS) as LocalModel[]).filter((m) => LOCAL_MODELS[m].shipped);
  // Each shipped model's source: its @upscalerjs package, or this repository's weights folder.
  const sources = shipped.map((m) => {
    const pkg = LOCAL_MODELS[m].package;
    if (pkg) return { model: m, dir: need(pkg), npm: true };
    const dir = repoWeightsDir();
    if (!dir) throw new Error(`build-assets: src/local/weights is missing (the ${m} model's weights)`);
    return { model: m, dir, npm: false };
  });
  const converter = [
    'convert-tfjs-to-onnx.js',
    'convert-package.js',
    'onnx-builder.js',
    'float16.js',
    'models.js',
  ];
  const inputs = [
    ...sources.flatMap(({ model, dir, npm }) =>
      npm
        ? [join(dir, 'package.json')]
        : modelNets(model).flatMap((net) => {
            // A missing folder is not an input here: the conversion below says what is missing.
            const weightsDir = findModelDir(model, net.scale, dir, net.jpeg);
            return weightsDir ? ['model.json', 'weights.bin'].map((f) => join(weightsDir, f)) : [];
          }),
    ),
    ...converter.map((f) => join(dist, 'local', f)),
  ];
  if (await upToDate(join(out, 'models.json'), inputs)) return 'models up to date';
  await rm(out, { recursive: true, force: true });
  const notes: string[] = [];
  for (const { model, dir, npm } of sources) {
    const sourceVersion = npm ? await versionOf(dir) : MODEL_INTERNALS[model].version;
    const files = await writePackageModels(model, out, { pkgDir: dir, sourceVersion });
    notes.push(`${model} ${(files.reduce((n, f) => n + f.bytes, 0) / 1e6).toFixed(1)} MB`);
  }
  const licences = await Promise.all(
    sources
      .filter((s) => s.npm)
      .map(async ({ dir }) => {
        const pj = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')) as {
          name: string;
          version: string;
        };
        return `${pj.name}@${pj.version}:\n${await readFile(join(dir, 'LICENSE'), 'utf8')}`;
      }),
  );
  await writeFile(
    join(out, 'LICENSE-upscalerjs.txt'),
    `The esrgan-* model weights in this folder were converted to ONNX (float16) from these npm packages
(https://github.com/thekevinscott/UpscalerJS), under the MIT licence:\n\n${licences.join('\n')}`,
  );
  return notes.join(', ');
}

async function buildRuntime(): Promise<string> {
  const pkgDir = need(WEB_RUNTIME.package);
  const version = await versionOf(pkgDir);
  if (version !== WEB_RUNTIME.version)
    throw new Error(
      `build-assets: onnxruntime-web ${version} installed, models.ts names ${WEB_RUNTIME.version}`,
    );
  const out = join(dist, 'runtime');
  const files = Object.values(WEB_RUNTIME_FILES);
  const sources = files.map((f) => join(pkgDir, 'dist', f));
  if (await upToDate(join(out, 'LICENSE-onnxruntime-web.txt'), sources)) return 'runtime up to date';
  await rm(out, { recursive: true, force: true });
  await mkdir(out, { recursive: true });
  for (const [i, f] of files.entries()) await copyFile(sources[i]!, join(out, f));
  await writeFile(
    join(out, 'LICENSE-onnxruntime-web.txt'),
    MIT_HEADER(
      `${files.join(', ')}: copied unchanged from onnxruntime-web@${version} (https://github.com/microsoft/onnxruntime).`,
      'Copyright (c) Microsoft Corporation',
    ),
  );
  return `runtime ${version}`;
}

const t0 = performance.now();
const [models, runtime] = await Promise.all([buildModels(), buildRuntime()]);
console.log(`build-assets: ${models}; ${runtime} (${Math.round(performance.now() - t0)} ms)`);
