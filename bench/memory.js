// Target 3: uploading a 20 MB image peaks at ≤ 1.3 × (file + its base64) + 60 MB of resident
// memory (the body is streamed, never built as one string), and the resident memory of a
// 1,000-image batch stays flat. The CLI child reports its own memory through bench/lib/rss-probe.js.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import sharp from 'sharp';
import { startEmulator } from '../fixtures/emulator/index.js';
import { assertOk, emulatorEnv, median, row, runCli, tempDir } from './lib/harness.js';
import { noiseImage } from './lib/images.js';

const PROBE = pathToFileURL(join(import.meta.dirname, 'lib/rss-probe.js')).href;
const MB = 1024 * 1024;
/** Random RGBA pixels: a PNG of about 20 MB (2x gives 5000×4000, within Freepik's limit). */
const BIG = { width: 2500, height: 2000 };
const BATCH = 1000;
const REPEATS = 3;
/**
 * "Flat": the batch's last hundred results may not need more than this × results 400–500. The
 * first few hundred results warm up (V8 grows its heap to its working size, then keeps it).
 */
const FLAT_LIMIT = 1.1;

/**
 * Runs the CLI with the probe loaded; returns its peak and its samples.
 * @param {string[]} args
 * @param {Record<string, string>} env
 * @param {(line: string) => void} [onStdoutLine]
 */
async function probed(args, env, onStdoutLine, nodeArgs = /** @type {string[]} */ ([])) {
  const out = join(env.UPSCALE_CONFIG_DIR ?? '.', '..', `rss-${Date.now()}-${Math.random()}.json`);
  const cli = await runCli(args, {
    env: { ...env, BENCH_RSS_OUT: out },
    nodeArgs: ['--import', PROBE, ...nodeArgs],
    ...(onStdoutLine ? { onStdoutLine } : {}),
  });
  assertOk(cli, `upscale ${args.slice(0, 2).join(' ')}`);
  /** @type {{ peakBytes: number, samples: [number, number, number][], liveHeapBytes?: number }} */
  const report = JSON.parse(await readFile(out, 'utf8'));
  return report;
}

const blank = (/** @type {number} */ width, /** @type {number} */ height) =>
  sharp({ create: { width, height, channels: 3, background: '#808080' } })
    .png()
    .toBuffer();

/**
 * The peak up to the moment the emulator had the whole upload: the first sample taken after it
 * (the peak so far is the kernel's high-water mark, so no spike in between is missed).
 * @param {{ samples: [number, number, number][] }} report
 * @param {number} at
 */
function peakUntil(report, at) {
  const after = report.samples.find(([t]) => t >= at);
  if (!after) throw new Error('no memory sample after the upload');
  return after[2];
}

async function uploadPeak(dir, emu) {
  const big = join(dir, 'big.png');
  const bytes = await noiseImage(BIG.width, BIG.height, { channels: 4 });
  await writeFile(big, bytes);
  const small = join(dir, 'small.png');
  const smallBytes = await noiseImage(BIG.width / 10, BIG.height / 10, { channels: 4 });
  await writeFile(small, smallBytes);
  const base64 = 4 * Math.ceil(bytes.length / 3);
  const budget = 1.3 * (bytes.length + base64) + 60 * MB;
  /** @type {Record<'big' | 'small', { upload: number[], run: number[] }>} */
  const peaks = { big: { upload: [], run: [] }, small: { upload: [], run: [] } };
  for (let i = 0; i < REPEATS; i++) {
    for (const size of /** @type {const} */ (['big', 'small'])) {
      const scale = size === 'big' ? 1 : 10;
      emu.reset();
      emu.set({ fileOverride: await blank((BIG.width * 2) / scale, (BIG.height * 2) / scale) });
      const out = join(dir, `out-${i}-${size}`);
      const args = [
        size === 'big' ? big : small,
        '-o',
        out,
        '--json',
        '--scale',
        '2x',
        '--poll-interval',
        '50',
      ];
      const report = await probed(args, emulatorEnv(emu, join(dir, `config-${i}-${size}`)));
      const uploaded = emu.requests.find((r) => r.route === 'submit');
      if (!uploaded) throw new Error('no submit reached the emulator');
      peaks[size].upload.push(peakUntil(report, uploaded.time));
      peaks[size].run.push(report.peakBytes);
    }
  }
  const peak = median(peaks.big.upload);
  const mbOf = (/** @type {number[]} */ values) => `${(median(values) / MB).toFixed(0)} MB`;
  return row({
    bench: 'memory',
    metric: `peak RSS uploading a ${(bytes.length / MB).toFixed(1)} MB image (median of ${REPEATS})`,
    measured: `${(peak / MB).toFixed(0)} MB`,
    baseline: `budget 1.3 × (${(bytes.length / MB).toFixed(1)} + ${(base64 / MB).toFixed(1)} MB) + 60 MB = ${(budget / MB).toFixed(0)} MB`,
    ratio: peak / budget,
    op: '<=',
    limit: 1,
    note: `a ${(smallBytes.length / MB).toFixed(1)} MB image: ${mbOf(peaks.small.upload)}; whole runs, finishing the ${BIG.width * 2}×${BIG.height * 2} result included: ${mbOf(peaks.big.run)} (small: ${mbOf(peaks.small.run)})`,
  });
}

async function batchFlat(dir, emu) {
  const inputDir = join(dir, 'batch');
  const { mkdir } = await import('node:fs/promises');
  await mkdir(inputDir);
  for (let i = 0; i < BATCH; i++) {
    const px = await sharp({
      create: { width: 64, height: 48, channels: 3, background: { r: i % 256, g: 99, b: 7 } },
    })
      .png()
      .toBuffer();
    await writeFile(join(inputDir, `tiny-${String(i).padStart(4, '0')}.png`), px);
  }
  emu.set({ processingMs: 0, fileOverride: await blank(128, 96) });
  /** @type {number[]} when each result line came */
  const arrivals = [];
  const args = [inputDir, '-o', join(dir, 'batch-out'), '--json', '--scale', '2x'];
  args.push('--concurrency', '8', '--poll-interval', '20');
  const onLine = () => arrivals.push(Date.now());
  const report = await probed(args, emulatorEnv(emu, join(dir, 'config-batch')), onLine, ['--expose-gc']);
  if (arrivals.length !== BATCH) throw new Error(`${arrivals.length} of ${BATCH} results`);
  /** The largest RSS sampled while results `from`..`to` arrived. */
  const rssWhile = (/** @type {number} */ from, /** @type {number} */ to) => {
    const start = /** @type {number} */ (arrivals[from - 1]);
    const end = /** @type {number} */ (arrivals[to - 1]);
    const inside = report.samples.filter(([t]) => t >= start && t <= end).map(([, rss]) => rss);
    return Math.max(...inside);
  };
  const early = rssWhile(400, 500);
  const late = rssWhile(BATCH - 100, BATCH);
  return row({
    bench: 'memory',
    metric: `RSS over a ${BATCH.toLocaleString('en')}-image batch: results 900–1,000 vs 400–500`,
    measured: `${(late / MB).toFixed(0)} MB`,
    baseline: `${(early / MB).toFixed(0)} MB`,
    ratio: late / early,
    op: '<=',
    limit: FLAT_LIMIT,
    note: `batch peak ${(report.peakBytes / MB).toFixed(0)} MB; heap in use after a full GC at the end ${((report.liveHeapBytes ?? 0) / MB).toFixed(0)} MB; by hundred results: ${Array.from({ length: BATCH / 100 }, (_, k) => (rssWhile(k * 100 + 1, (k + 1) * 100) / MB).toFixed(0)).join(' ')} MB`,
  });
}

export async function run() {
  const { dir, cleanup } = await tempDir();
  const emu = await startEmulator({ processingMs: 0 });
  try {
    return [await uploadPeak(dir, emu), await batchFlat(dir, emu)];
  } finally {
    await emu.close();
    await cleanup();
  }
}
