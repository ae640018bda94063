// Issue 22: a fleet on one API key. 60 images against an emulator that allows 20 API requests per
// 3 s per key (sliding window, 429 without Retry-After, X-RateLimit-* headers) and takes 1.5–6 s
// per task, run by one process, then by 3 and by 6 shards at once (`--shard i/n`, one output
// folder, a config folder each, as CI jobs on a shared cache). Targets: the shards finish within
// 1.3 × the single process's wall time measured in the same run, at ≤ 2.5 API requests per image
// and ≤ 3 × 429 in all. And a 4 s task under a generous limit takes ≤ 12 polls.
import { join } from 'node:path';
import { startEmulator } from '../fixtures/emulator/index.js';
import { cleanEnv, row, runCli, tempDir } from './lib/harness.js';
import { writeImages } from './lib/images.js';

const IMAGES = 60;
const RATE = { limit: 20, windowMs: 3000 };
const DURATIONS = /** @type {[number, number]} */ ([1500, 6000]);
const INPUT = { width: 96, height: 64, format: /** @type {const} */ ('png') };

/**
 * @param {Awaited<ReturnType<typeof startEmulator>>} emu
 * @param {string} dir
 * @param {string} name
 * @param {number} shards 1: one process with every input
 */
async function fleet(emu, dir, name, shards) {
  emu.reset();
  emu.set({ seed: 22, rateLimit: RATE, rateLimitHeaders: 'x-ratelimit', processingMsRange: DURATIONS });
  const started = performance.now();
  const runs = await Promise.all(
    Array.from({ length: shards }, (_, i) => {
      const env = cleanEnv({
        UPSCALE_FREEPIK_BASE_URL: emu.apiUrl,
        FREEPIK_API_KEY: emu.keys.freepik,
        UPSCALE_CONFIG_DIR: join(dir, `config-${name}-${i}`),
      });
      const shard = shards > 1 ? ['--shard', `${i + 1}/${shards}`] : [];
      return runCli([join(dir, 'in'), '-o', join(dir, `out-${name}`), '--json', ...shard], { env });
    }),
  );
  const ms = performance.now() - started;
  const lines = runs.flatMap((r) =>
    r.stdout
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l)),
  );
  const ok = lines.filter((l) => l.status === 'succeeded').length;
  if (ok !== IMAGES) {
    const stderr = runs.map((r) => r.stderr.slice(-800)).join('\n---\n');
    throw new Error(`${name}: ${ok} of ${IMAGES} succeeded\n${stderr}`);
  }
  const stats = emu.rateLimitStats();
  return { ms, requests: stats.allowed, rejected: stats.rejected, tasks: emu.submissions() };
}

/**
 * Polls spent on 4 s tasks when the limit is generous: a first batch teaches their duration,
 * then a second batch of 4 is counted — for each task, its own status requests and every list
 * asked while it was in flight (one list answers every task). The most any task took.
 * @param {Awaited<ReturnType<typeof startEmulator>>} emu
 * @param {string} dir
 */
async function pollsPerTask(emu, dir) {
  emu.reset();
  emu.set({ rateLimit: { limit: 6000, windowMs: 60_000 }, processingMsRange: [4000, 4000] });
  const env = cleanEnv({
    UPSCALE_FREEPIK_BASE_URL: emu.apiUrl,
    FREEPIK_API_KEY: emu.keys.freepik,
    UPSCALE_CONFIG_DIR: join(dir, 'config-polls'),
  });
  const input = (/** @type {number} */ i) => join(dir, 'in', `img-${String(i).padStart(4, '0')}.png`);
  const teach = await runCli([0, 1, 2].map(input).concat('-o', join(dir, 'out-teach')), { env });
  if (teach.code !== 0) throw new Error(`teaching run exited ${teach.code}\n${teach.stderr.slice(-800)}`);
  const from = emu.requests.length;
  const batch = await runCli([3, 4, 5, 6].map(input).concat('-o', join(dir, 'out-polls')), { env });
  if (batch.code !== 0) throw new Error(`batch exited ${batch.code}\n${batch.stderr.slice(-800)}`);
  const requests = emu.requests.slice(from);
  const counts = requests
    .filter((r) => r.route === 'submit' && r.taskId !== null)
    .map((submit) => {
      const own = requests.filter((r) => r.route === 'status' && r.taskId === submit.taskId);
      const last = Math.max(...own.map((r) => r.time));
      const lists = requests.filter((r) => r.route === 'list' && r.time > submit.time && r.time <= last);
      return own.length + lists.length;
    });
  return Math.max(...counts);
}

export async function run() {
  const { dir, cleanup } = await tempDir();
  const emu = await startEmulator({ processingMs: 0 });
  try {
    await writeImages(join(dir, 'in'), IMAGES, INPUT);
    const single = await fleet(emu, dir, 'single', 1);
    const rows = [];
    for (const shards of [3, 6]) {
      const r = await fleet(emu, dir, `shards${shards}`, shards);
      rows.push(
        row({
          bench: 'fleet',
          metric: `${IMAGES} images at ${RATE.limit} requests/${RATE.windowMs / 1000} s, ${shards} shards at once: wall time`,
          measured: `${(r.ms / 1000).toFixed(1)} s`,
          baseline: `one process ${(single.ms / 1000).toFixed(1)} s`,
          ratio: r.ms / single.ms,
          op: '<=',
          limit: 1.3,
        }),
        row({
          bench: 'fleet',
          metric: `${shards} shards: API requests per image`,
          measured: `${(r.requests / IMAGES).toFixed(2)} (${r.requests} requests, ${r.tasks} tasks)`,
          baseline: `one process ${(single.requests / IMAGES).toFixed(2)}`,
          ratio: r.requests / IMAGES / 2.5,
          op: '<=',
          limit: 1,
        }),
        row({
          bench: 'fleet',
          metric: `${shards} shards: 429 answers`,
          measured: String(r.rejected),
          baseline: `one process ${single.rejected}`,
          ratio: r.rejected,
          op: '<=',
          limit: 3,
        }),
      );
    }
    const polls = await pollsPerTask(emu, dir);
    rows.push(
      row({
        bench: 'fleet',
        metric: '4 s tasks under 6000 requests/min, duration known: polls of the most polled task',
        measured: String(polls),
        baseline: 'target 12',
        ratio: polls / 12,
        op: '<=',
        limit: 1,
      }),
    );
    return rows;
  } finally {
    await emu.close();
    await cleanup();
  }
}
