/**
 * Converts a model's TF.js files (an @upscalerjs package, or this repository's own weights in
 * src/local/weights) into ONNX files plus a `models.json`: run by the build (photo, slim and
 * medium into dist/models) and by `upscale local add-model` (into the data folder).
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ModelFileInfo, ModelsManifest } from './assets.js';
import { readModelsManifest } from './assets.js';
import { type ConvertedModel, convertTfjsToOnnx, type TfjsLayersModelJson } from './convert-tfjs-to-onnx.js';
import {
  findModelDir,
  LOCAL_MODELS,
  type LocalModel,
  MODEL_INTERNALS,
  type ModelNet,
  modelNets,
  netName,
} from './models.js';

/** Reads a model's TF.js files from its package (or weights folder) and converts them to ONNX in memory. */
export async function convertPackageModel(
  model: LocalModel,
  scale: number,
  opts: { pkgDir?: string; weights?: 'float32' | 'float16'; jpeg?: boolean } = {},
): Promise<ConvertedModel> {
  const net = { scale, jpeg: opts.jpeg ?? false };
  const dir = findModelDir(model, scale, opts.pkgDir, net.jpeg);
  if (!dir) throw new Error(`${weightsSource(model)} (${netName(model, net)}) is not installed`);
  const json = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8')) as TfjsLayersModelJson;
  const shards = await Promise.all(
    json.weightsManifest.flatMap((g) => g.paths.map((p) => readFile(join(dir, p)))),
  );
  return convertTfjsToOnnx(json, shards, {
    valueRange: MODEL_INTERNALS[model].valueRange,
    name: modelFileName(model, net).replace(/\.onnx$/, ''),
    weights: opts.weights ?? 'float32',
  });
}

/** File name of a converted net: `photo-x4.onnx`, `photo-x4-jpeg.onnx`, `esrgan-slim-x4.onnx`. */
export function modelFileName(model: LocalModel, net: ModelNet): string {
  return `${LOCAL_MODELS[model].package ? 'esrgan-' : ''}${netName(model, net)}.onnx`;
}

/** Where a model's weights come from, as `models.json` and messages name it. */
function weightsSource(model: LocalModel): string {
  return LOCAL_MODELS[model].package ?? `upscale/src/local/weights/${model}`;
}

/**
 * Converts every net of `model` (each scale, and its JPEG nets) from its package into `outDir`, with the precision chosen
 * for it, and records them in `outDir/models.json` (other models' entries are kept).
 * Files are written under a temporary name and renamed, so a reader never sees half a model.
 */
export async function writePackageModels(
  model: LocalModel,
  outDir: string,
  opts: { pkgDir?: string; sourceVersion: string },
): Promise<ModelFileInfo[]> {
  await mkdir(outDir, { recursive: true });
  const weights = MODEL_INTERNALS[model].weights;
  const written: [string, ModelFileInfo][] = [];
  for (const net of modelNets(model)) {
    const m = await convertPackageModel(model, net.scale, {
      ...(opts.pkgDir ? { pkgDir: opts.pkgDir } : {}),
      weights,
      jpeg: net.jpeg,
    });
    const name = netName(model, net);
    if (m.scale !== net.scale) throw new Error(`${name}: the net upscales x${m.scale}`);
    const file = modelFileName(model, net);
    await writeFile(join(outDir, `${file}.tmp`), m.onnx);
    await rename(join(outDir, `${file}.tmp`), join(outDir, file));
    written.push([
      name,
      {
        file,
        scale: net.scale,
        receptiveRadius: m.receptiveRadius,
        weights,
        bytes: m.onnx.length,
        sha256: createHash('sha256').update(m.onnx).digest('hex'),
        source: `${weightsSource(model)}@${opts.sourceVersion}`,
      },
    ]);
  }
  const manifest: ModelsManifest = readModelsManifest(outDir) ?? { models: {} };
  for (const [key, info] of written) manifest.models[key] = info;
  await writeFile(join(outDir, 'models.json.tmp'), `${JSON.stringify(manifest, null, 2)}\n`);
  await rename(join(outDir, 'models.json.tmp'), join(outDir, 'models.json'));
  return written.map(([, info]) => info);
}
