/**
 * The ways a small image is made from a large one, for scoring the local models on inputs like
 * real ones (bench/local-quality.js, test/local/quality.test.ts): each takes and returns packed
 * RGB bytes (width × height × 3) and shrinks by an integer factor.
 *
 * - `sharp`: sharp's antialiased cubic reduction (what the tests used alone before);
 * - `matlab`: antialiased bicubic as MATLAB's `imresize` or PIL (Keys a = −0.5, widened by the factor);
 * - `aliased`: bicubic without antialiasing, as OpenCV's `INTER_CUBIC` (a = −0.75, 4 taps);
 * - `box`: the mean of each factor × factor block;
 * - `jpeg75`: sharp's reduction, then a JPEG at quality 75 (4:2:0, as most encoders) decoded;
 * - `noise6`: sharp's reduction plus Gaussian noise of σ 6 levels (seeded: the same every run).
 */
import sharp from 'sharp';

/** Per output index: first input index and weights (normalised) of a separable kernel. */
function taps(inSize, factor, kernel, support) {
  return Array.from({ length: Math.floor(inSize / factor) }, (_, o) => {
    const centre = (o + 0.5) * factor - 0.5;
    const first = Math.ceil(centre - support);
    const last = Math.floor(centre + support);
    const weights = new Float64Array(last - first + 1);
    let sum = 0;
    for (let i = first; i <= last; i++) {
      weights[i - first] = kernel(i - centre);
      sum += weights[i - first];
    }
    for (let k = 0; k < weights.length; k++) weights[k] /= sum;
    return { first, weights };
  });
}

function cubic(a) {
  return (x) => {
    const t = Math.abs(x);
    if (t <= 1) return (a + 2) * t ** 3 - (a + 3) * t ** 2 + 1;
    if (t < 2) return a * t ** 3 - 5 * a * t ** 2 + 8 * a * t - 4 * a;
    return 0;
  };
}

/** Separable resize with clamped edges, rounded to bytes. */
function separable(rgb, width, height, factor, kernel, support) {
  const cols = taps(width, factor, kernel, support);
  const rows = taps(height, factor, kernel, support);
  const w = cols.length;
  const h = rows.length;
  const mid = new Float64Array(w * height * 3);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < w; x++) {
      const { first, weights } = cols[x];
      for (let c = 0; c < 3; c++) {
        let v = 0;
        for (let k = 0; k < weights.length; k++) {
          const i = Math.min(Math.max(first + k, 0), width - 1);
          v += weights[k] * rgb[(y * width + i) * 3 + c];
        }
        mid[(y * w + x) * 3 + c] = v;
      }
    }
  const out = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) {
    const { first, weights } = rows[y];
    for (let x = 0; x < w; x++)
      for (let c = 0; c < 3; c++) {
        let v = 0;
        for (let k = 0; k < weights.length; k++) {
          const j = Math.min(Math.max(first + k, 0), height - 1);
          v += weights[k] * mid[(j * w + x) * 3 + c];
        }
        out[(y * w + x) * 3 + c] = Math.min(255, Math.max(0, Math.round(v)));
      }
  }
  return out;
}

async function sharpCubic(rgb, width, height, factor) {
  return new Uint8Array(
    await sharp(rgb, { raw: { width, height, channels: 3 } })
      .resize(width / factor, height / factor, { kernel: 'cubic' })
      .raw()
      .toBuffer(),
  );
}

/** A small seeded generator (mulberry32) and Box–Muller, so the noise is the same every run. */
function gaussian(seed) {
  let s = seed >>> 0;
  const uniform = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
}

/** How each degradation is named in tables, in the order they are printed. */
export const DEGRADATIONS = {
  sharp: "sharp's cubic reduction",
  matlab: 'antialiased bicubic (MATLAB, PIL)',
  aliased: 'aliased bicubic (OpenCV INTER_CUBIC)',
  box: 'box averaging',
  jpeg75: "JPEG q75 (after sharp's reduction)",
  noise6: "noise σ 6 (after sharp's reduction)",
};

/**
 * The small image made from `rgb` (width and height multiples of `factor`) by `kind` (a key of
 * DEGRADATIONS), as packed RGB bytes of (width / factor) × (height / factor).
 */
export async function degrade(kind, rgb, width, height, factor) {
  const w = width / factor;
  const h = height / factor;
  switch (kind) {
    case 'sharp':
      return sharpCubic(rgb, width, height, factor);
    case 'matlab':
      return separable(rgb, width, height, factor, (x) => cubic(-0.5)(x / factor), 2 * factor);
    case 'aliased':
      return separable(rgb, width, height, factor, cubic(-0.75), 2);
    case 'box':
      return separable(rgb, width, height, factor, (x) => (Math.abs(x) < factor / 2 ? 1 : 0), factor / 2);
    case 'jpeg75': {
      const jpeg = await sharp(await sharpCubic(rgb, width, height, factor), {
        raw: { width: w, height: h, channels: 3 },
      })
        .jpeg({ quality: 75 })
        .toBuffer();
      return new Uint8Array(await sharp(jpeg).removeAlpha().raw().toBuffer());
    }
    case 'noise6': {
      const out = await sharpCubic(rgb, width, height, factor);
      const next = gaussian(width * 7919 + height);
      for (let i = 0; i < out.length; i++)
        out[i] = Math.min(255, Math.max(0, Math.round(out[i] + 6 * next())));
      return out;
    }
    default:
      throw new Error(`degrade: unknown kind ${kind}`);
  }
}
