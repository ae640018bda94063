/** Shared helpers for the local-provider tests: image makers and quality metrics. */
import { fileURLToPath } from 'node:url';
import sharp, { type Sharp } from 'sharp';
import { loadRuntime } from '../../src/local/runtime.js';

/**
 * Tests run two files at once on two cores: one inference thread each avoids
 * oversubscription, which slows onnxruntime-web's spinning worker threads a lot.
 */
export const THREADS = 1;

export const PHOTO = fileURLToPath(new URL('../../fixtures/images/local-photo.png', import.meta.url));

/** Raw RGB(A) pixels of an encoded image or a sharp pipeline. */
export async function rawPixels(
  input: Buffer | string | Sharp,
): Promise<{ data: Buffer; width: number; height: number; channels: number }> {
  const pipeline = typeof input === 'string' || Buffer.isBuffer(input) ? sharp(input) : input;
  const { data, info } = await pipeline.raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height, channels: info.channels };
}

/** A deterministic, textured RGB test image (smooth gradients + sharp edges + noise), as PNG. */
export async function syntheticImage(width: number, height: number, alpha = false): Promise<Buffer> {
  const ch = alpha ? 4 : 3;
  const data = Buffer.alloc(width * height * ch);
  let seed = 12345;
  const rand = () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x7fffffff;
  };
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * ch;
      const edge = (Math.floor(x / 7) + Math.floor(y / 9)) % 2 ? 60 : 0;
      data[i] = Math.min(255, (x * 255) / width + edge * 0.5 + rand() * 20);
      data[i + 1] = Math.min(255, (y * 255) / height + rand() * 20);
      data[i + 2] = Math.min(255, 128 + 100 * Math.sin((x + y) / 5) * 0.5 + edge);
      if (alpha) data[i + 3] = Math.round((255 * x) / (width - 1)); // left transparent -> right opaque
    }
  return sharp(data, { raw: { width, height, channels: ch } })
    .png()
    .toBuffer();
}

/** Largest absolute per-channel difference between two equal-length pixel buffers. */
export function maxAbsDiff(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} != ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

/** PSNR in dB over all channels (8-bit peak). */
export function psnr(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} != ${b.length}`);
  let se = 0;
  for (let i = 0; i < a.length; i++) {
    const d = a[i]! - b[i]!;
    se += d * d;
  }
  return 10 * Math.log10((255 * 255) / (se / a.length));
}

export { lumaY, psnrY, ssimY as ssim } from '../../bench/lib/image-metrics.js';

/** Runs an ONNX model once on an RGB image (bundled runtime), returning rounded HWC bytes. */
export async function runModelOnce(onnx: Uint8Array, rgb: Uint8Array, width: number, height: number) {
  const runtime = await loadRuntime('onnxruntime-web', THREADS);
  const runner = await runtime.createRunner(onnx, 'input', 'output');
  const plane = width * height;
  const input = new Float32Array(3 * plane);
  for (let i = 0; i < plane; i++) for (let c = 0; c < 3; c++) input[c * plane + i] = rgb[i * 3 + c]!;
  const out = await runner.run(input, height, width);
  await runner.release();
  const n = out.width * out.height;
  const bytes = new Uint8ClampedArray(n * 3);
  for (let i = 0; i < n; i++) for (let c = 0; c < 3; c++) bytes[i * 3 + c] = out.data[c * n + i]!;
  return { data: new Uint8Array(bytes.buffer), width: out.width, height: out.height };
}
