#!/usr/bin/env node
// How much float16 weights change the local models' output: every shipped model and scale run
// on the bundled photo with float32 and float16 weights (the same conversion otherwise).
//
//   npm run build && node bench/local-fp16.js [slim,medium] [image]
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';

const dist = (p) => new URL(`../dist/local/${p}`, import.meta.url).href;
const { convertPackageModel } = await import(dist('convert-package.js'));
const { LOCAL_MODELS } = await import(dist('models.js'));
const { loadRuntime } = await import(dist('runtime.js'));

const models = (process.argv[2] ?? 'slim,medium').split(',');
const image =
  process.argv[3] ?? fileURLToPath(new URL('../fixtures/images/local-photo.png', import.meta.url));
const runtime = await loadRuntime('onnxruntime-web', 2);
const { data: rgb, info } = await sharp(image).removeAlpha().raw().toBuffer({ resolveWithObject: true });
const { width, height } = info;
const plane = width * height;
const input = new Float32Array(3 * plane);
for (let i = 0; i < plane; i++) for (let c = 0; c < 3; c++) input[c * plane + i] = rgb[i * 3 + c];

const rows = [];
for (const model of models)
  for (const scale of LOCAL_MODELS[model].scales) {
    const outs = [];
    const sizes = [];
    for (const weights of ['float32', 'float16']) {
      const m = await convertPackageModel(model, scale, { weights });
      sizes.push(m.onnx.length);
      const runner = await runtime.createRunner(m.onnx, 'input', 'output');
      outs.push(Uint8ClampedArray.from((await runner.run(input, height, width)).data));
      await runner.release();
    }
    let max = 0;
    let differing = 0;
    for (let i = 0; i < outs[0].length; i++) {
      const d = Math.abs(outs[0][i] - outs[1][i]);
      if (d > max) max = d;
      if (d) differing++;
    }
    rows.push({
      model,
      scale: `x${scale}`,
      'float32 MB': (sizes[0] / 1e6).toFixed(2),
      'float16 MB': (sizes[1] / 1e6).toFixed(2),
      'max diff (levels)': max,
      'values differing': `${((100 * differing) / outs[0].length).toFixed(2)} %`,
    });
  }
console.log(`float16 vs float32 weights on ${width}x${height} (${image})`);
console.table(rows);
process.exit(rows.some((r) => r['max diff (levels)'] > 1) ? 1 : 0);
