#!/usr/bin/env node
// The install a user gets: `npm pack`, `npm install -g <tarball>` into a temporary prefix from
// npm's cache only (no network), then `upscale IMG -p local --scale 2x` from that install.
// Prints the size (target ≤ 70 MB), the biggest packages, any npm warning, and the first
// command's time; exits 1 when a target is missed.
//
//   node bench/local-install.js [--build]    (--build: pack through prepack, i.e. a fresh build)
import { LIMIT_MB, packAndInstall } from './lib/pack-install.js';

const MB = (b) => (b / 1e6).toFixed(1);
const r = await packAndInstall({ build: process.argv.includes('--build') });
try {
  console.log(`tarball ${r.tarball}: ${MB(r.tarballBytes)} MB packed, ${MB(r.unpackedBytes)} MB unpacked`);
  console.log(
    `npm install -g --offline: ${MB(r.installBytes)} MB on disk in ${(r.installMs / 1000).toFixed(1)} s`,
  );
  console.table(Object.fromEntries(r.biggest.map(([name, bytes]) => [name, { MB: MB(bytes) }])));
  console.log(`npm warnings: ${r.warnings.length === 0 ? 'none' : `\n${r.warnings.join('\n')}`}`);
  console.log(
    `upscale small.png -p local --scale 2x from the install: exit ${r.firstCommand.code} in ${(r.firstCommand.ms / 1000).toFixed(1)} s`,
  );
  const failures = [];
  if (r.installBytes > LIMIT_MB * 1e6)
    failures.push(`install is ${MB(r.installBytes)} MB, over ${LIMIT_MB} MB`);
  if (r.warnings.length > 0) failures.push('npm printed warnings');
  if (r.firstCommand.code !== 0 || !r.output)
    failures.push(`the first command failed:\n${r.firstCommand.stderr}`);
  for (const f of failures) console.error(`FAIL: ${f}`);
  process.exitCode = failures.length > 0 ? 1 : 0;
} finally {
  r.cleanup();
}
