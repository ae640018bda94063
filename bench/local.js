#!/usr/bin/env node
// Local provider benchmark: 512x512 -> 2048x2048 (4x) per model, each run in a
// fresh child process so peak RSS (process.resourceUsage().maxRSS) is that run's
// alone and includes runtime start-up, model conversion and PNG encoding.
//
//   npm run build && node bench/local.js [slim] [medium] [thick] [--threads N] [--tile N]
//                                        [--runtime onnxruntime-web|onnxruntime-node]
//
// Exits 1 if 4x slim takes longer than 30 s (the issue's "in seconds" bar, with
// plenty of headroom for a loaded CI machine).
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const LIMIT_SLIM_MS = 30_000;
const here = fileURLToPath(import.meta.url);
const photo = fileURLToPath(new URL('../fixtures/images/local-photo.png', import.meta.url));
const dist = new URL('../dist/local/index.js', import.meta.url).href;

function parseArgs(argv) {
  const out = { models: [], threads: undefined, runtime: undefined, tile: undefined };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--threads') out.threads = Number(argv[++i]);
    else if (argv[i] === '--tile') out.tile = Number(argv[++i]);
    else if (argv[i] === '--runtime') out.runtime = argv[++i];
    else out.models.push(argv[i]);
  }
  return out;
}

/** Child: one timed upscale, result as a JSON line on stdout. */
async function child(model, threads, runtime, tile) {
  const { default: sharp } = await import('sharp');
  const { upscaleLocal } = await import(dist);
  // A 512x512 photo-like input: the CC0 test photo enlarged with lanczos3.
  const input = await sharp(photo).resize(512, 512, { kernel: 'lanczos3' }).png().toBuffer();
  let tiles = 0;
  const t0 = performance.now();
  const opts = { input, scale: 4, model, onProgress: (p) => (tiles = p.tilesTotal) };
  if (threads) opts.threads = threads;
  if (runtime) opts.runtime = runtime;
  if (tile) opts.tileSize = tile;
  const res = await upscaleLocal(opts);
  const t1 = performance.now();
  const png = await res.image.png().toBuffer();
  const t2 = performance.now();
  process.stdout.write(
    `${JSON.stringify({
      model,
      runtime: res.runtime,
      threads: res.threads,
      size: `${res.width}x${res.height}`,
      tiles,
      tileSize: tile ?? 192,
      upscaleMs: Math.round(t1 - t0),
      totalMs: Math.round(t2 - t0),
      pngKB: Math.round(png.length / 1024),
      maxRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
    })}\n`,
  );
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  if (args.models[0] === '--child') return child(args.models[1], args.threads, args.runtime, args.tile);

  const { checkLocalEngine } = await import(dist);
  const models = args.models.length ? args.models : ['slim', 'medium'];
  const rows = [];
  let failed = false;
  for (const model of models) {
    const check = await checkLocalEngine(model);
    if (!check.ok) {
      console.log(`${model}: skipped — ${check.message} (${check.hint})`);
      continue;
    }
    const childArgs = [here, '--child', model];
    if (args.threads) childArgs.push('--threads', String(args.threads));
    if (args.runtime) childArgs.push('--runtime', args.runtime);
    if (args.tile) childArgs.push('--tile', String(args.tile));
    const run = spawnSync(process.execPath, childArgs, { encoding: 'utf8' });
    const line = run.stdout.trim().split('\n').at(-1);
    if (run.status !== 0 || !line) {
      console.error(`${model}: child failed (exit ${run.status})\n${run.stderr}`);
      failed = true;
      continue;
    }
    const r = JSON.parse(line);
    rows.push(r);
    if (model === 'slim' && r.totalMs > LIMIT_SLIM_MS) {
      console.error(`slim 4x took ${r.totalMs} ms, over the ${LIMIT_SLIM_MS} ms limit`);
      failed = true;
    }
  }

  console.log('\nlocal provider: 512x512 -> 2048x2048 (4x), fresh process per row');
  console.table(
    rows.map((r) => ({
      model: r.model,
      runtime: r.runtime,
      threads: r.threads,
      tiles: `${r.tiles} (max ${r.tileSize}px)`,
      'upscale s': (r.upscaleMs / 1000).toFixed(2),
      'with PNG encode s': (r.totalMs / 1000).toFixed(2),
      'peak RSS MB': r.maxRssMB,
    })),
  );
  if (failed) process.exitCode = 1;
}

await main();
