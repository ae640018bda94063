#!/usr/bin/env node
// `npm run bench [-- name...] [-- --markdown] [-- --no-build]`: builds the CLI, runs the chosen
// benchmarks (all by default) one after another, prints one table, and exits 1 when a target is missed.
// Results also go to bench/out/results.json.
import { execFileSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './lib/harness.js';

/** Every benchmark, in the order they run: the name is the file `bench/<name>.js`. */
const BENCHES = ['startup', 'scan', 'download', 'memory', 'throughput', 'completion', 'budget', 'fleet'];

const args = process.argv.slice(2);
const markdown = args.includes('--markdown');
const build = !args.includes('--no-build');
const chosen = args.filter((a) => !a.startsWith('--'));
const unknown = chosen.filter((name) => !BENCHES.includes(name));
if (unknown.length > 0) {
  process.stderr.write(`unknown benchmark ${unknown.join(', ')}; choose from ${BENCHES.join(', ')}\n`);
  process.exit(2);
}
const names = chosen.length > 0 ? BENCHES.filter((b) => chosen.includes(b)) : BENCHES;

if (build) {
  process.stderr.write('building (npm run build)…\n');
  execFileSync('npm', ['run', '--silent', 'build'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
}

const machine = `${cpus().length} × ${cpus()[0]?.model.trim() ?? 'CPU'}, ${(totalmem() / 2 ** 30).toFixed(0)} GB RAM, Node ${process.version}, ${process.platform}`;
process.stderr.write(`${machine}\n`);

/** @type {import('./lib/harness.js').Row[]} */
const rows = [];
const failures = [];
for (const name of names) {
  process.stderr.write(`${name}…\n`);
  const started = Date.now();
  try {
    const { run } = await import(`./${name}.js`);
    rows.push(...(await run()));
  } catch (error) {
    failures.push(name);
    process.stderr.write(`${name} failed: ${error instanceof Error ? error.stack : error}\n`);
  }
  process.stderr.write(`${name} took ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
}

const header = ['bench', 'metric', 'measured', 'ideal / baseline', 'ratio', 'target', 'result'];
const lines = rows.map((r) => [
  r.bench,
  r.metric,
  r.measured,
  r.baseline,
  r.ratio.toFixed(2),
  `${r.op === '<=' ? '≤' : '≥'} ${r.limit}`,
  r.pass ? 'ok' : 'MISSED',
]);
const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]?.length ?? 0)));
const pad = (/** @type {string[]} */ c) => c.map((v, i) => v.padEnd(widths[i] ?? 0));
if (markdown) {
  const cells = (/** @type {string[]} */ c) => `| ${pad(c).join(' | ')} |`;
  const rule = `| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`;
  process.stdout.write(`${[cells(header), rule, ...lines.map(cells)].join('\n')}\n`);
} else {
  process.stdout.write(`${[header, ...lines].map((c) => pad(c).join('  ')).join('\n')}\n`);
}
for (const r of rows.filter((r) => r.note)) process.stdout.write(`  ${r.bench}: ${r.note}\n`);

await mkdir(join(ROOT, 'bench/out'), { recursive: true });
await writeFile(join(ROOT, 'bench/out/results.json'), `${JSON.stringify({ machine, rows }, null, 2)}\n`);

const missed = rows.filter((r) => !r.pass);
if (missed.length > 0 || failures.length > 0) {
  process.stderr.write(
    `${missed.length} target(s) missed${failures.length > 0 ? `; benchmark(s) failed: ${failures.join(', ')}` : ''}\n`,
  );
  process.exit(1);
}
