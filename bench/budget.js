// Issue 12: requests are the scarce resource. 60 images against an emulator that allows 20 API
// requests per 3 s per key (sliding window, 429 without Retry-After, X-RateLimit-* headers) and
// takes 1.5–6 s per task. Targets, at the default concurrency and at --concurrency 16: no 429,
// at most 2.5 API requests per image, and a wall time within 1.2 × the lower bound
// max(2 × images ÷ rate, Σ durations ÷ concurrency). The same batch with today's polling
// (`--rate-limit off --concurrency 4`: every task polls itself, nothing plans) is shown beside it.
import { join } from 'node:path';
import { startEmulator } from '../fixtures/emulator/index.js';
import { cleanEnv, row, runCli, tempDir } from './lib/harness.js';
import { writeImages } from './lib/images.js';

const IMAGES = 60;
const RATE = { limit: 20, windowMs: 3000 };
const DURATIONS = /** @type {[number, number]} */ ([1500, 6000]);
const INPUT = { width: 96, height: 64, format: /** @type {const} */ ('png') };
/** What `upscale` picks by default for a budget of this size (src/api/run.ts: concurrencyOf). */
const DEFAULT_CONCURRENCY = 50;

/**
 * @param {Awaited<ReturnType<typeof startEmulator>>} emu
 * @param {string} dir
 * @param {string} name
 * @param {string[]} extra
 */
async function batch(emu, dir, name, extra) {
  emu.reset();
  emu.set({ seed: 12, rateLimit: RATE, rateLimitHeaders: 'x-ratelimit', processingMsRange: DURATIONS });
  const env = cleanEnv({
    UPSCALE_FREEPIK_BASE_URL: emu.apiUrl,
    FREEPIK_API_KEY: emu.keys.freepik,
    UPSCALE_CONFIG_DIR: join(dir, `config-${name}`),
  });
  const args = [join(dir, 'in'), '-o', join(dir, `out-${name}`), '--json', ...extra];
  const cli = await runCli(args, { env });
  const lines = cli.stdout
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));
  const ok = lines.filter((l) => l.status === 'succeeded').length;
  const stats = emu.rateLimitStats();
  const durations = emu.tasks.reduce((sum, t) => sum + t.processingMs, 0);
  return { ms: cli.ms, ok, requests: stats.allowed, rejected: stats.rejected, durations, code: cli.code };
}

/** @param {{ ms: number, requests: number, rejected: number, durations: number }} r @param {number} concurrency */
function bound(r, concurrency) {
  const byBudget = ((2 * IMAGES) / RATE.limit) * RATE.windowMs;
  const byDurations = r.durations / concurrency;
  return Math.max(byBudget, byDurations);
}

export async function run() {
  const { dir, cleanup } = await tempDir();
  const emu = await startEmulator({ processingMs: 0 });
  try {
    await writeImages(join(dir, 'in'), IMAGES, INPUT);
    const planned = await batch(emu, dir, 'default', []);
    const sixteen = await batch(emu, dir, 'c16', ['--concurrency', '16']);
    const today = await batch(emu, dir, 'today', ['--rate-limit', 'off', '--concurrency', '4']);
    for (const [name, r] of Object.entries({ planned, sixteen })) {
      if (r.ok !== IMAGES) throw new Error(`${name}: ${r.ok} of ${IMAGES} succeeded (exit ${r.code})`);
    }
    const rows = [];
    for (const [label, r, concurrency] of /** @type {const} */ ([
      ['default concurrency', planned, DEFAULT_CONCURRENCY],
      ['--concurrency 16', sixteen, 16],
    ])) {
      const lower = bound(r, concurrency);
      rows.push(
        row({
          bench: 'budget',
          metric: `${IMAGES} images at ${RATE.limit} requests/${RATE.windowMs / 1000} s, ${label}: wall time`,
          measured: `${(r.ms / 1000).toFixed(1)} s`,
          baseline: `lower bound ${(lower / 1000).toFixed(1)} s`,
          ratio: r.ms / lower,
          op: '<=',
          limit: 1.2,
        }),
        row({
          bench: 'budget',
          metric: `${label}: API requests per image`,
          measured: `${(r.requests / IMAGES).toFixed(2)} (${r.requests} requests)`,
          baseline: 'target 2.5',
          ratio: r.requests / IMAGES / 2.5,
          op: '<=',
          limit: 1,
        }),
        row({
          bench: 'budget',
          metric: `${label}: 429 answers`,
          measured: String(r.rejected),
          baseline: 'none allowed',
          ratio: r.rejected,
          op: '<=',
          limit: 0,
        }),
      );
    }
    const last = rows[rows.length - 1];
    if (last) {
      last.note = `today's polling (--rate-limit off --concurrency 4): ${(today.ms / 1000).toFixed(1)} s, ${(today.requests / IMAGES).toFixed(2)} requests per image, ${today.rejected} × 429, ${today.ok}/${IMAGES} succeeded`;
    }
    return rows;
  } finally {
    await emu.close();
    await cleanup();
  }
}
