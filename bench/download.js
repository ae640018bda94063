// Target 6: downloads stream to disk at ≥ 80 % of the speed of a plain undici stream of the same
// file on loopback. A server in its own process serves a 96 MB PNG; another process downloads it
// with a plain undici → fs.createWriteStream pipeline and with the library's downloadToTemp (what
// `upscale` uses for every result), back to back; the ratio is the median of the pairs' ratios.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { median, ROOT, row, tempDir } from './lib/harness.js';
import { noiseImage } from './lib/images.js';

const RUNS = 15;
const LIMIT = 0.8;
/** Random RGBA pixels, barely compressed: a 96 MB PNG. */
const SIZE = { width: 4900, height: 4900 };

export async function run() {
  const { dir, cleanup } = await tempDir();
  const file = join(dir, 'big.png');
  const bytes = await noiseImage(SIZE.width, SIZE.height, { channels: 4 });
  await writeFile(file, bytes);
  const server = spawn(process.execPath, [join(ROOT, 'bench/lib/file-server.js'), file], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    const [first] = /** @type {[Buffer]} */ (await once(server.stdout, 'data'));
    const url = first.toString().trim();
    const child = spawn(
      process.execPath,
      [join(ROOT, 'bench/lib/download-child.js'), url, dir, String(RUNS)],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    const [code] = await once(child, 'close');
    if (code !== 0) throw new Error(`download-child exited ${code}`);
    /** @type {{ plainMs: number[], libraryMs: number[] }} */
    const { plainMs, libraryMs } = JSON.parse(out);
    const mbps = (/** @type {number} */ ms) => `${Math.round(bytes.length / 1024 / 1024 / (ms / 1000))} MB/s`;
    const plain = median(plainMs);
    const library = median(libraryMs);
    return [
      row({
        bench: 'download',
        metric: `${(bytes.length / 1024 / 1024).toFixed(0)} MB over loopback to disk (median of ${RUNS})`,
        measured: `${mbps(library)} (${Math.round(library)} ms)`,
        baseline: `plain undici stream: ${mbps(plain)} (${Math.round(plain)} ms)`,
        ratio: median(plainMs.map((ms, i) => ms / /** @type {number} */ (libraryMs[i]))),
        op: '>=',
        limit: LIMIT,
      }),
    ];
  } finally {
    server.kill();
    await cleanup();
  }
}
