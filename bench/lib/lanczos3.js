/**
 * A true Lanczos-3 resize, written out (about 30 lines; test/local/quality.test.ts and bench/local-quality.js use it) because sharp/libvips enlarges with its
 * bicubic interpolator whatever `kernel` is named: `resize(…, { kernel: 'lanczos3' })` gives
 * the same bytes as 'cubic', shifted half a pixel. Pixel centres are aligned (output centre
 * x + 0.5 sits at input (x + 0.5) / scale), the kernel is sinc(x)·sinc(x/3) over ±3 input pixels
 * (widened by 1/scale when shrinking), weights are normalised, edges are clamped.
 */
/** Per output index: first input index and normalised weights. */
function lanczosWeights(inSize, outSize) {
  const scale = outSize / inSize;
  const stretch = Math.max(1, 1 / scale); // shrinking: widen the kernel to filter
  const support = 3 * stretch;
  const sinc = (x) => (x === 0 ? 1 : Math.sin(Math.PI * x) / (Math.PI * x));
  return Array.from({ length: outSize }, (_, o) => {
    const centre = (o + 0.5) / scale - 0.5;
    const first = Math.ceil(centre - support);
    const last = Math.floor(centre + support);
    const weights = new Float64Array(last - first + 1);
    let sum = 0;
    for (let i = first; i <= last; i++) {
      const x = (i - centre) / stretch;
      const w = Math.abs(x) < 3 ? sinc(x) * sinc(x / 3) : 0;
      weights[i - first] = w;
      sum += w;
    }
    for (let k = 0; k < weights.length; k++) weights[k] /= sum;
    return { first, weights };
  });
}

/** Resizes interleaved 8-bit pixels (`channels` per pixel) with a separable Lanczos-3. */
export function lanczos3(src, width, height, channels, outWidth, outHeight) {
  const clamp = (i, n) => (i < 0 ? 0 : i >= n ? n - 1 : i);
  const cols = lanczosWeights(width, outWidth);
  const rows = lanczosWeights(height, outHeight);
  // Horizontal pass into floats (no rounding between passes), then vertical into bytes.
  const mid = new Float64Array(outWidth * height * channels);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < outWidth; x++) {
      const { first, weights } = cols[x];
      for (let c = 0; c < channels; c++) {
        let v = 0;
        for (let k = 0; k < weights.length; k++)
          v += weights[k] * src[(y * width + clamp(first + k, width)) * channels + c];
        mid[(y * outWidth + x) * channels + c] = v;
      }
    }
  const out = new Uint8ClampedArray(outWidth * outHeight * channels);
  for (let y = 0; y < outHeight; y++) {
    const { first, weights } = rows[y];
    for (let x = 0; x < outWidth; x++)
      for (let c = 0; c < channels; c++) {
        let v = 0;
        for (let k = 0; k < weights.length; k++)
          v += weights[k] * mid[(clamp(first + k, height) * outWidth + x) * channels + c];
        out[(y * outWidth + x) * channels + c] = v;
      }
  }
  return new Uint8Array(out.buffer);
}
