#!/usr/bin/env node
// Quality of the local models against a true, aligned Lanczos-3 (bench/lib/lanczos3.js; sharp's
// resize enlarges with bicubic whatever kernel is named): an image is downsampled 4x with
// bicubic and brought back; PSNR-Y (4 px border left out) and SSIM-Y per method. With no image
// named, the eight held-out test photos (fixtures/images/local-photo.png, fixtures/images/photos/).
// Models not present (thick before `upscale local add-model thick`) are skipped.
// With --crop <file.png>: also writes one crop side by side (original, Lanczos-3, each model).
//
// With --heldout <dir>: the held-out photos instead (bench/train/heldout-photos.txt, fetched by
// bench/train/get-heldout.sh; or fixtures/images/heldout/, their 256x256 crops), each brought to
// 1024 px on its long side by an antialiased reduction (so the source's own JPEG blocks fade), then
// made small in each way of bench/lib/degrade.js (sharp's reduction, MATLAB's bicubic, aliased
// bicubic, box, JPEG q75, noise): per way and factor, the mean gain of each model over a true
// Lanczos-3 fed the same small image, its median and minimum, and how many photos lose.
// --models photo,slim picks the models (default: photo; `photo:clean` is photo without its JPEG net,
// `photo:unsoftened` without the blur for aliased inputs), --kinds sharp,jpeg75 and --factors 4 the
// ways and factors (default: all); --write-crops <dir> writes the 256x256 centre crop of each
// prepared photo (what fixtures/images/heldout/ holds).
//
//   npm run build && node bench/local-quality.js [image…] [--crop docs/local-engine-crop.png]
//   node bench/local-quality.js --heldout /tmp/heldout [--models photo,slim,medium] [--write-crops dir]
import { mkdirSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { DEGRADATIONS, degrade } from './lib/degrade.js';
import { psnrY, ssimY } from './lib/image-metrics.js';
import { lanczos3 } from './lib/lanczos3.js';

const { upscaleLocal, checkLocalEngine } = await import(
  new URL('../dist/local/index.js', import.meta.url).href
);

const args = process.argv.slice(2);
const option = (name) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
const cropAt = option('--crop');
const heldout = option('--heldout');
if (heldout) {
  const kinds = (option('--kinds') ?? Object.keys(DEGRADATIONS).join(',')).split(',');
  const factors = (option('--factors') ?? '4,2').split(',').map(Number);
  await heldoutTable(
    heldout,
    (option('--models') ?? 'photo').split(','),
    option('--write-crops'),
    kinds,
    factors,
  );
  process.exit(0);
}
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

/** A held-out photo as the ground truth: long side 1024 (antialiased), sides multiples of 4. */
async function truthOf(file) {
  const meta = await sharp(file).metadata();
  const long = Math.max(meta.width, meta.height);
  let img = sharp(file).rotate().removeAlpha().toColourspace('srgb');
  if (long > 1024)
    img = img.resize({
      width: meta.width >= meta.height ? 1024 : undefined,
      height: meta.width >= meta.height ? undefined : 1024,
      kernel: 'lanczos3',
    });
  const { data, info } = await img.raw().toBuffer({ resolveWithObject: true });
  const width = info.width - (info.width % 4);
  const height = info.height - (info.height % 4);
  const rgb = await sharp(data, { raw: { width: info.width, height: info.height, channels: 3 } })
    .extract({ left: 0, top: 0, width, height })
    .raw()
    .toBuffer();
  return { rgb: new Uint8Array(rgb), width, height };
}

async function heldoutTable(dir, modelNames, cropsDir, kinds, factors) {
  const files = readdirSync(dir)
    .filter((f) => /\.(png|jpe?g)$/i.test(f))
    .sort()
    .map((f) => `${dir.replace(/\/$/, '')}/${f}`);
  const median = (v) => {
    const s = [...v].sort((a, b) => a - b);
    return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  };
  const gains = {}; // `${factor}|${kind}|${model}` -> gain per photo
  const jpegNets = {}; // same key -> photos whose input looked JPEG-compressed (the JPEG net ran)
  const softened = {}; // same key -> photos whose input looked aliased (softened first)
  const perPhoto = [];
  if (cropsDir) mkdirSync(cropsDir, { recursive: true });
  for (const file of files) {
    const { rgb, width, height } = await truthOf(file);
    const name = file.split('/').at(-1);
    if (cropsDir) {
      const size = Math.min(256, width, height);
      await sharp(rgb, { raw: { width, height, channels: 3 } })
        .extract({
          left: Math.floor((width - size) / 2),
          top: Math.floor((height - size) / 2),
          width: size,
          height: size,
        })
        .png({ compressionLevel: 9 })
        .toFile(`${cropsDir}/${name.replace(/\.[^.]+$/, '')}.png`);
    }
    const row = { photo: name };
    for (const factor of factors) {
      for (const kind of kinds) {
        const small = await degrade(kind, rgb, width, height, factor);
        const w = width / factor;
        const h = height / factor;
        const base = psnrY(rgb, lanczos3(small, w, h, 3, width, height), width, height);
        const input = await sharp(small, { raw: { width: w, height: h, channels: 3 } })
          .png()
          .toBuffer();
        for (const name of modelNames) {
          // `photo:clean`: the photo model without its JPEG net, whatever the input looks like.
          const [model, only] = name.split(':');
          // `photo:unsoftened`: without the blur an input that looks aliased gets first.
          const res = await upscaleLocal({
            input,
            scale: factor,
            model,
            jpegAware: only !== 'clean',
            aliasAware: only !== 'unsoftened',
          });
          const out = await res.image.raw().toBuffer();
          const gain = psnrY(rgb, out, width, height) - base;
          const key = `${factor}|${kind}|${name}`;
          gains[key] = [...(gains[key] ?? []), gain];
          if (res.jpegNet) jpegNets[key] = (jpegNets[key] ?? 0) + 1;
          if (res.softening > 0) softened[key] = (softened[key] ?? 0) + 1;
          if (model === modelNames[0] && (kind === 'sharp' || kind === 'jpeg75'))
            row[`x${factor} ${kind}`] = gain.toFixed(2);
        }
      }
    }
    perPhoto.push(row);
  }
  console.log(
    `${files.length} held-out photos (${dir}); gain in PSNR-Y over a true Lanczos-3 given the same small image`,
  );
  console.table(perPhoto);
  console.table(
    Object.entries(gains).map(([key, v]) => {
      const [factor, kind, model] = key.split('|');
      return {
        factor: `x${factor}`,
        'small image made by': DEGRADATIONS[kind],
        model,
        'mean dB': (v.reduce((a, b) => a + b, 0) / v.length).toFixed(2),
        'median dB': median(v).toFixed(2),
        'min dB': Math.min(...v).toFixed(2),
        'photos that lose': `${v.filter((g) => g < 0).length} of ${v.length}`,
        'JPEG net': jpegNets[key] ?? 0,
        softened: softened[key] ?? 0,
      };
    }),
  );
}
