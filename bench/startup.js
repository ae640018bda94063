// Target 4: `upscale --help` and `upscale --version` start within 1.5 × `node -e 0`.
// Runs the three commands in rounds, back to back, so a noisy neighbour hits all of a round alike;
// the ratio is the median of the rounds' ratios, the times shown are the medians.
import { spawnSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { BIN, cleanEnv, median, ROOT, row } from './lib/harness.js';

const RUNS = 41;
const LIMIT = 1.5;

/** @param {string[]} args */
function once(args, env) {
  const started = performance.now();
  const result = spawnSync(process.execPath, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const elapsed = performance.now() - started;
  if (result.status !== 0)
    throw new Error(`node ${args.join(' ')} exited ${result.status}: ${result.stderr}`);
  return elapsed;
}

export async function run() {
  const env = cleanEnv();
  const commands = {
    node: ['-e', '0'],
    help: [BIN, '--help'],
    version: [BIN, '--version'],
  };
  /** @type {Record<keyof typeof commands, number[]>} */
  const times = { node: [], help: [], version: [] };
  // One warm-up round fills the OS file cache.
  for (const args of Object.values(commands)) once(args, env);
  for (let i = 0; i < RUNS; i++) {
    for (const [name, args] of Object.entries(commands)) {
      times[/** @type {keyof typeof commands} */ (name)].push(once(args, env));
    }
  }
  const ideal = median(times.node);
  return /** @type {const} */ (['help', 'version']).map((name) => {
    const measured = median(times[name]);
    return row({
      bench: 'startup',
      metric: `upscale --${name} (median of ${RUNS})`,
      measured: `${measured.toFixed(0)} ms`,
      baseline: `node -e 0: ${ideal.toFixed(0)} ms`,
      ratio: median(times[name].map((ms, i) => ms / /** @type {number} */ (times.node[i]))),
      op: '<=',
      limit: LIMIT,
    });
  });
}
