// Target 1: 32 images that each take the server 4 s, `--concurrency 8`, finish within 1.15 × the
// ideal: 4 rounds × 4 s, plus the transfers (upload, one status request, download) of the same
// images timed alone, with no processing, by a bare client in the same run.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { startEmulator } from '../fixtures/emulator/index.js';
import { assertOk, emulatorEnv, median, row, runCli, tempDir, timed } from './lib/harness.js';
import { idealTransfers } from './lib/ideal-client.js';
import { noiseImage, writeImages } from './lib/images.js';

const IMAGES = 32;
const PROCESSING_MS = 4000;
const CONCURRENCY = 8;
/** The first wait between polls; later ones grow with the task's age, and the batch's learning. */
const POLL_INTERVAL_MS = 250;
const INPUT = { width: 1024, height: 768, format: /** @type {const} */ ('jpeg') };
const REPEATS = 3;
const LIMIT = 1.15;

/** The JSON lines of a run, checked: every input succeeded. @param {string} stdout */
function checkAllSucceeded(stdout) {
  const lines = stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  const ok = lines.filter((l) => l.status === 'succeeded').length;
  if (ok !== IMAGES) throw new Error(`${ok} of ${IMAGES} succeeded: ${stdout.slice(0, 500)}`);
}

export async function run() {
  const { dir, cleanup } = await tempDir();
  // Every task's result is the same 2x image, so the emulator spends no time rendering.
  const output = await noiseImage(INPUT.width * 2, INPUT.height * 2, { format: 'jpeg' });
  const emu = await startEmulator({ processingMs: 0, fileOverride: output });
  try {
    const inputDir = join(dir, 'in');
    const files = await writeImages(inputDir, IMAGES, INPUT);
    const rounds = Math.ceil(IMAGES / CONCURRENCY);
    const samples = [];
    for (let i = 0; i < REPEATS; i++) {
      emu.reset();
      emu.set({ processingMs: 0 });
      const idealOut = join(dir, `ideal-${i}`);
      await mkdir(idealOut);
      const transferMs = await timed(() => idealTransfers(emu, files, CONCURRENCY, idealOut));

      emu.reset();
      emu.set({ processingMs: PROCESSING_MS });
      const args = [inputDir, '-o', join(dir, `out-${i}`), '--json', '--scale', '2x'];
      args.push('--concurrency', String(CONCURRENCY), '--poll-interval', String(POLL_INTERVAL_MS));
      const cli = assertOk(
        await runCli(args, { env: emulatorEnv(emu, join(dir, `config-${i}`)) }),
        'upscale (throughput)',
      );
      checkAllSucceeded(cli.stdout);
      const idealMs = rounds * PROCESSING_MS + transferMs;
      const polls = emu.requests.filter((r) => r.route === 'status').length;
      samples.push({ wallMs: cli.ms, transferMs, idealMs, ratio: cli.ms / idealMs, polls });
    }
    const ratio = median(samples.map((s) => s.ratio));
    const typical = samples.find((s) => s.ratio === ratio) ?? samples[0];
    if (!typical) throw new Error('no sample');
    return [
      row({
        bench: 'throughput',
        metric: `${IMAGES} images × ${PROCESSING_MS / 1000} s, --concurrency ${CONCURRENCY} (median of ${REPEATS})`,
        measured: `${(typical.wallMs / 1000).toFixed(2)} s`,
        baseline: `${rounds} × ${PROCESSING_MS / 1000} s + ${(typical.transferMs / 1000).toFixed(2)} s transfers = ${(typical.idealMs / 1000).toFixed(2)} s`,
        ratio,
        op: '<=',
        limit: LIMIT,
        note: `--poll-interval ${POLL_INTERVAL_MS}; ${(typical.polls / IMAGES).toFixed(1)} status polls per task; ratios ${samples.map((s) => s.ratio.toFixed(3)).join(', ')}`,
      }),
    ];
  } finally {
    await emu.close();
    await cleanup();
  }
}
