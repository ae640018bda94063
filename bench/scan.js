// Target 5: `--dry-run` over 10,000 small image files (folder walk + header reads, no pixel
// decoding) runs at ≥ 1,000 files/s, start-up included. The baseline is what this machine does
// with the same files in the simplest way: readdir, then sharp's metadata() with 4 in flight.
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import sharp from 'sharp';
import { assertOk, cleanEnv, median, row, runCli, tempDir } from './lib/harness.js';
import { photoImage } from './lib/images.js';

const FILES = 10_000;
const FOLDERS = 10;
const REPEATS = 3;
const TARGET_FILES_PER_S = 1000;

/** 10,000 files in 10 sub-folders, alternating two small PNGs and two small JPEGs. */
async function makeTree(dir) {
  const samples = [
    { ext: 'png', data: await photoImage(320, 240, 1, 'png') },
    { ext: 'jpg', data: await photoImage(320, 240, 2, 'jpeg') },
    { ext: 'png', data: await photoImage(200, 160, 3, 'png') },
    { ext: 'jpg', data: await photoImage(240, 320, 4, 'jpeg') },
  ];
  const { mkdir } = await import('node:fs/promises');
  for (let f = 0; f < FOLDERS; f++) await mkdir(join(dir, `set-${f}`), { recursive: true });
  const writes = [];
  for (let i = 0; i < FILES; i++) {
    const sample = /** @type {{ ext: string, data: Buffer }} */ (samples[i % samples.length]);
    writes.push(writeFile(join(dir, `set-${i % FOLDERS}`, `img-${i}.${sample.ext}`), sample.data));
    if (writes.length >= 256) await Promise.all(writes.splice(0));
  }
  await Promise.all(writes);
}

/** The plain way: list the folders, read every header, 4 at a time. Returns ms. */
async function baselineScan(dir) {
  const started = performance.now();
  const files = [];
  for (const folder of await readdir(dir)) {
    for (const name of await readdir(join(dir, folder))) files.push(join(dir, folder, name));
  }
  let next = 0;
  const worker = async () => {
    while (next < files.length) await sharp(/** @type {string} */ (files[next++])).metadata();
  };
  await Promise.all(Array.from({ length: 4 }, worker));
  return performance.now() - started;
}

export async function run() {
  const { dir, cleanup } = await tempDir();
  try {
    const tree = join(dir, 'tree');
    await makeTree(tree);
    const env = cleanEnv({ UPSCALE_CONFIG_DIR: join(dir, 'config') });
    const cliMs = [];
    const baseMs = [];
    for (let i = 0; i < REPEATS; i++) {
      baseMs.push(await baselineScan(tree));
      const cli = assertOk(await runCli([tree, '-r', '--dry-run', '--json'], { env }), 'upscale --dry-run');
      const planned = cli.stdout.split('\n').filter((l) => l.includes('"planned"')).length;
      if (planned !== FILES) throw new Error(`--dry-run planned ${planned} of ${FILES} files`);
      cliMs.push(cli.ms);
    }
    const rate = FILES / (median(cliMs) / 1000);
    const baseRate = FILES / (median(baseMs) / 1000);
    return [
      row({
        bench: 'scan',
        metric: `--dry-run -r over ${FILES.toLocaleString('en')} files (median of ${REPEATS})`,
        measured: `${Math.round(rate)} files/s`,
        baseline: `target ${TARGET_FILES_PER_S} files/s`,
        ratio: rate / TARGET_FILES_PER_S,
        op: '>=',
        limit: 1,
        note: `${(median(cliMs) / 1000).toFixed(2)} s with start-up; readdir + sharp metadata() alone: ${Math.round(baseRate)} files/s`,
      }),
    ];
  } finally {
    await cleanup();
  }
}
