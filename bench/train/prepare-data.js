#!/usr/bin/env node
// Makes the training pairs for bench/train/train.py: for each photo, a high-resolution crop
// (long side ≤ 2048 after an antialiased reduction, which also hides JPEG blocking) and its
// low-resolution version made exactly as bench/local-quality.js degrades its test photos
// (sharp's cubic reduction), at each factor. Raw RGB bytes plus an index.json.
//
//   node bench/train/prepare-data.js <out-dir> <factor,…> <photo|folder>…
import { mkdir, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';

const [outDir, factorList, ...sources] = process.argv.slice(2);
if (!outDir || !factorList || sources.length === 0) {
  console.error('usage: node bench/train/prepare-data.js <out-dir> <factor,…> <photo|folder>…');
  process.exit(2);
}
const factors = factorList.split(',').map(Number);
const lcm = factors.reduce((a, b) => (a * b) / gcd(a, b), 1);
function gcd(a, b) {
  return b === 0 ? a : gcd(b, a % b);
}

const files = [];
for (const s of sources) {
  if ((await stat(s)).isDirectory())
    for (const f of (await readdir(s)).sort()) {
      if (/\.(png|jpe?g|webp|tiff?)$/i.test(f)) files.push(join(s, f));
    }
  else files.push(s);
}

await mkdir(outDir, { recursive: true });
const index = [];
for (const [i, file] of files.entries()) {
  const meta = await sharp(file).metadata();
  const long = Math.max(meta.width, meta.height);
  const shrink = long > 2048 ? 2048 / long : 1;
  let hr = sharp(file).rotate().removeAlpha().toColourspace('srgb');
  if (shrink < 1)
    hr = hr.resize(Math.round(meta.width * shrink), Math.round(meta.height * shrink), { kernel: 'lanczos3' });
  const { data: full, info } = await hr.raw().toBuffer({ resolveWithObject: true });
  const width = info.width - (info.width % lcm);
  const height = info.height - (info.height % lcm);
  const hrBuf = await sharp(full, {
    raw: { width: info.width, height: info.height, channels: info.channels },
  })
    .extract({ left: 0, top: 0, width, height })
    .toColourspace('srgb')
    .raw()
    .toBuffer();
  if (hrBuf.length !== width * height * 3) throw new Error(`${file}: not RGB`);
  const name = `img${String(i).padStart(3, '0')}`;
  await writeFile(join(outDir, `${name}-hr.rgb`), hrBuf);
  for (const f of factors) {
    const lr = await sharp(hrBuf, { raw: { width, height, channels: 3 } })
      .resize(width / f, height / f, { kernel: 'cubic' })
      .raw()
      .toBuffer();
    await writeFile(join(outDir, `${name}-x${f}.rgb`), lr);
  }
  index.push({ name, source: file, width, height });
  console.log(`${name} ${width}x${height} ← ${file}`);
}
await writeFile(join(outDir, 'index.json'), `${JSON.stringify({ factors, images: index }, null, 2)}\n`);
