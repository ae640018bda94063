// Image quality as super-resolution papers measure it, on the Y of YCbCr: used by
// bench/local-quality.js and test/local/quality.test.ts, so both report the same numbers.

/**
 * BT.601 luma (Y of YCbCr, 16..235), per pixel of an RGB buffer.
 * @param {Uint8Array} rgb
 * @returns {Float64Array}
 */
export function lumaY(rgb) {
  const y = new Float64Array(rgb.length / 3);
  for (let i = 0; i < y.length; i++)
    y[i] = 16 + (65.481 * rgb[i * 3] + 128.553 * rgb[i * 3 + 1] + 24.966 * rgb[i * 3 + 2]) / 255;
  return y;
}

/**
 * PSNR on Y (8-bit peak), leaving out a `border` of pixels (the usual scale-wide crop).
 * @param {Uint8Array} a @param {Uint8Array} b @param {number} width @param {number} height
 * @param {number} [border]
 * @returns {number}
 */
export function psnrY(a, b, width, height, border = 4) {
  const ya = lumaY(a);
  const yb = lumaY(b);
  let se = 0;
  let n = 0;
  for (let y = border; y < height - border; y++)
    for (let x = border; x < width - border; x++) {
      const d = ya[y * width + x] - yb[y * width + x];
      se += d * d;
      n++;
    }
  return 10 * Math.log10((255 * 255) / (se / n));
}

/**
 * Mean SSIM on Y over 8x8 windows (stride 4), the usual constants K1=0.01, K2=0.03.
 * @param {Uint8Array} a @param {Uint8Array} b @param {number} width @param {number} height
 * @returns {number}
 */
export function ssimY(a, b, width, height) {
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
          mx += x[k];
          my += y[k];
        }
      mx /= 64;
      my /= 64;
      let vx = 0;
      let vy = 0;
      let cov = 0;
      for (let j = 0; j < 8; j++)
        for (let i = 0; i < 8; i++) {
          const k = (by + j) * width + bx + i;
          vx += (x[k] - mx) ** 2;
          vy += (y[k] - my) ** 2;
          cov += (x[k] - mx) * (y[k] - my);
        }
      vx /= 63;
      vy /= 63;
      cov /= 63;
      sum += ((2 * mx * my + c1) * (2 * cov + c2)) / ((mx * mx + my * my + c1) * (vx + vy + c2));
      n++;
    }
  return sum / n;
}
