/** Shared helpers for the local-provider tests: image makers and quality metrics. */
import { fileURLToPath } from 'node:url';
import sharp, { type Sharp } from 'sharp';

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

/** Mean SSIM on Y (see lumaY) over 8x8 windows (stride 4), the usual constants K1=0.01, K2=0.03. */
export function ssim(a: Uint8Array, b: Uint8Array, width: number, height: number): number {
  const x = lumaY(a);
  const y = lumaY(b);
  const c1 = (0.01 * 255) ** 2;
  const c2 = (0.03 * 255) ** 2;
  let sum = 0;
  let n = 0;
  for (let by = 0; by + 8 <= height; by += 4)
    for (let bx = 0; bx + 8 <= width; bx += 4) {
      let mx = 0;
      let my = 0;
      for (let j = 0; j < 8; j++)
        for (let i = 0; i < 8; i++) {
          const k = (by + j) * width + bx + i;
          mx += x[k]!;
          my += y[k]!;
        }
      mx /= 64;
      my /= 64;
      let vx = 0;
      let vy = 0;
      let cov = 0;
      for (let j = 0; j < 8; j++)
        for (let i = 0; i < 8; i++) {
          const k = (by + j) * width + bx + i;
          vx += (x[k]! - mx) ** 2;
          vy += (y[k]! - my) ** 2;
          cov += (x[k]! - mx) * (y[k]! - my);
        }
      vx /= 63;
      vy /= 63;
      cov /= 63;
      sum += ((2 * mx * my + c1) * (2 * cov + c2)) / ((mx * mx + my * my + c1) * (vx + vy + c2));
      n++;
    }
  return sum / n;
}

/** BT.601 luma as SR papers measure it (Y of YCbCr, 16..235), per pixel of an RGB buffer. */
export function lumaY(rgb: Uint8Array): Float64Array {
  const y = new Float64Array(rgb.length / 3);
  for (let i = 0; i < y.length; i++)
    y[i] = 16 + (65.481 * rgb[i * 3]! + 128.553 * rgb[i * 3 + 1]! + 24.966 * rgb[i * 3 + 2]!) / 255;
  return y;
}

/** PSNR on Y (8-bit peak), leaving out a `border` of pixels (the usual scale-wide crop). */
export function psnrY(a: Uint8Array, b: Uint8Array, width: number, height: number, border: number): number {
  const ya = lumaY(a);
  const yb = lumaY(b);
  let se = 0;
  let n = 0;
  for (let y = border; y < height - border; y++)
    for (let x = border; x < width - border; x++) {
      const d = ya[y * width + x]! - yb[y * width + x]!;
      se += d * d;
      n++;
    }
  return 10 * Math.log10((255 * 255) / (se / n));
}
