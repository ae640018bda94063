#!/usr/bin/env node
// Quality of the local models against a true, aligned Lanczos-3 (bench/lib/lanczos3.js; sharp's
// resize enlarges with bicubic whatever kernel is named): an image is downsampled 4x with
// bicubic and brought back; PSNR-Y (4 px border left out) and SSIM-Y per method. With no image
// named, the eight held-out test photos (fixtures/images/local-photo.png, fixtures/images/photos/).
// Models not present (thick before `upscale local add-model thick`) are skipped.
// With --crop <file.png>: also writes one crop side by side (original, Lanczos-3, each model).
//
//   npm run build && node bench/local-quality.js [image…] [--crop docs/local-engine-crop.png]
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { psnrY, ssimY } from './lib/image-metrics.js';
import { lanczos3 } from './lib/lanczos3.js';

const { upscaleLocal, checkLocalEngine } = await import(
  new URL('../dist/local/index.js', import.meta.url).href
);

const args = process.argv.slice(2);
const cropAt = args.includes('--crop') ? args[args.indexOf('--crop') + 1] : undefined;
const images = args.filter((a, i) => !a.startsWith('--') && args[i - 1] !== '--crop');
if (images.length === 0) {
  // The held-out test photos: fixtures/images/local-photo.png and fixtures/images/photos/*.png.
  images.push(fileURLToPath(new URL('../fixtures/images/local-photo.png', import.meta.url)));
  const dir = fileURLToPath(new URL('../fixtures/images/photos/', import.meta.url));
  for (const f of readdirSync(dir).sort()) if (f.endsWith('.png')) images.push(dir + f);
}

const models = [];
for (const m of ['photo', 'slim', 'medium', 'thick']) if ((await checkLocalEngine(m)).ok) models.push(m);
const totals = {};
const rows = [];
let crop;
for (const image of images) {
  const orig = await sharp(image).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const w = orig.info.width - (orig.info.width % 4);
  const h = orig.info.height - (orig.info.height % 4);
  const original = await sharp(image)
    .removeAlpha()
    .extract({ left: 0, top: 0, width: w, height: h })
    .raw()
    .toBuffer();
  const smallPng = await sharp(original, { raw: { width: w, height: h, channels: 3 } })
    .resize(w / 4, h / 4, { kernel: 'cubic' })
    .png()
    .toBuffer();
  const small = await sharp(smallPng).raw().toBuffer();
  const outs = { 'lanczos3 (true)': lanczos3(small, w / 4, h / 4, 3, w, h) };
  const seconds = {};
  for (const model of models) {
    const t0 = performance.now();
    const res = await upscaleLocal({ input: smallPng, scale: 4, model });
    outs[model] = await res.image.raw().toBuffer();
    seconds[model] = (performance.now() - t0) / 1000;
  }
  for (const [name, data] of Object.entries(outs)) {
    const p = psnrY(original, data, w, h);
    const s = ssimY(original, data, w, h);
    rows.push({
      image: image.split('/').at(-1),
      method: name,
      'PSNR-Y dB': p.toFixed(2),
      'SSIM-Y': s.toFixed(4),
      s: seconds[name]?.toFixed(1) ?? '',
    });
    totals[name] ??= { p: 0, s: 0 };
    totals[name].p += p;
    totals[name].s += s;
  }
  crop ??= { w, h, original, outs };
}
console.table(rows);
if (images.length > 1)
  console.table(
    Object.entries(totals).map(([k, v]) => ({
      method: k,
      'mean PSNR-Y': (v.p / images.length).toFixed(2),
      'vs Lanczos-3 dB': ((v.p - totals['lanczos3 (true)'].p) / images.length).toFixed(2),
      'mean SSIM-Y': (v.s / images.length).toFixed(4),
    })),
  );

if (cropAt && crop) {
  // 72x72 around the centre, each panel enlarged 3x (nearest) so pixels stay visible.
  const size = 72;
  const left = Math.floor((crop.w - size) / 2);
  const top = Math.floor((crop.h - size) / 2);
  const panels = [crop.original, ...Object.values(crop.outs)];
  const tiles = await Promise.all(
    panels.map((data) =>
      sharp(data, { raw: { width: crop.w, height: crop.h, channels: 3 } })
        .extract({ left, top, width: size, height: size })
        .resize(size * 3, size * 3, { kernel: 'nearest' })
        .png()
        .toBuffer(),
    ),
  );
  const gap = 6;
  await sharp({
    create: {
      width: tiles.length * (size * 3 + gap) - gap,
      height: size * 3,
      channels: 3,
      background: '#ffffff',
    },
  })
    .composite(tiles.map((input, i) => ({ input, left: i * (size * 3 + gap), top: 0 })))
    .png()
    .toFile(cropAt);
  console.log(`wrote ${cropAt}: original, ${Object.keys(crop.outs).join(', ')} (left to right)`);
}
