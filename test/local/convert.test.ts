/**
 * Conversion sanity: the ONNX graph we write from the TF.js files reproduces the
 * reference images that ship inside the @upscalerjs packages.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { convertPackageModel as convertInstalledModel } from '../../src/local/convert-package.js';
import { convertTfjsToOnnx, type TfjsLayersModelJson } from '../../src/local/convert-tfjs-to-onnx.js';
import { findModelDir, findPackageDir } from '../../src/local/models.js';
import { ProtoWriter } from '../../src/local/protobuf-writer.js';
import { maxAbsDiff, runModelOnce } from './helpers.js';

async function loadJson(scale: number): Promise<{ json: TfjsLayersModelJson; shards: Buffer[] }> {
  const dir = findModelDir('slim', scale)!;
  const json = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8')) as TfjsLayersModelJson;
  const shards = await Promise.all(
    json.weightsManifest.flatMap((g) => g.paths.map((p) => readFile(join(dir, p)))),
  );
  return { json, shards };
}

describe('protobuf writer', () => {
  it('encodes varints and length-delimited fields like protoc', () => {
    expect([...new ProtoWriter().int(1, 300).finish()]).toEqual([0x08, 0xac, 0x02]);
    expect([...new ProtoWriter().string(2, 'hi').finish()]).toEqual([0x12, 2, 0x68, 0x69]);
    expect([...new ProtoWriter().float(2, 1).finish()]).toEqual([0x15, 0, 0, 0x80, 0x3f]);
  });
});

describe('convertTfjsToOnnx', () => {
  it('reads the installed slim x4 model and reports its scale and receptive radius', async () => {
    const m = await convertInstalledModel('slim', 4);
    expect(m.scale).toBe(4);
    expect(m.receptiveRadius).toBe(10);
    expect(m.onnx.length).toBeGreaterThan(900_000); // ~0.9 MB of float32 weights
  });

  it.each([2, 3, 4])('slim x%i matches the package reference image within 1 grey level', async (scale) => {
    const pkg = findPackageDir('@upscalerjs/esrgan-slim')!;
    const fixture = await sharp(join(pkg, 'assets/fixture.png'))
      .removeAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
    const ref = await sharp(join(pkg, `assets/samples/${scale}x/result.png`))
      .removeAlpha()
      .raw()
      .toBuffer();
    const { onnx } = await convertInstalledModel('slim', scale);
    const out = await runModelOnce(onnx, fixture.data, fixture.info.width, fixture.info.height);
    expect([out.width, out.height]).toEqual([fixture.info.width * scale, fixture.info.height * scale]);
    expect(maxAbsDiff(out.data, ref)).toBeLessThanOrEqual(1);
  });

  it.each([3, 8])('fused sub-pixel conv equals the literal upsample+conv graph (x%i)', async (scale) => {
    const { json, shards } = await loadJson(scale);
    const fused = convertTfjsToOnnx(json, shards, { valueRange: 255 });
    const literal = convertTfjsToOnnx(json, shards, { valueRange: 255, fuseUpsample: false });
    const rgb = Uint8Array.from({ length: 20 * 14 * 3 }, (_, i) => (i * 37) % 256);
    const a = await runModelOnce(fused.onnx, rgb, 20, 14);
    const b = await runModelOnce(literal.onnx, rgb, 20, 14);
    expect(a.width).toBe(20 * scale);
    expect(maxAbsDiff(a.data, b.data)).toBeLessThanOrEqual(1);
  });

  it('refuses layers it cannot translate, naming them', async () => {
    const { json, shards } = await loadJson(2);
    const broken = structuredClone(json);
    broken.modelTopology.model_config.config.layers[1]!.class_name = 'BatchNormalization';
    expect(() => convertTfjsToOnnx(broken, shards, { valueRange: 255 })).toThrow(
      /unsupported layer BatchNormalization/,
    );
    expect(() => convertTfjsToOnnx(json, [shards[0]!.subarray(0, 100)], { valueRange: 255 })).toThrow(
      /runs past the end/,
    );
  });
});
