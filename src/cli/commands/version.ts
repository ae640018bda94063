/**
 * `upscale version [--verbose]` and `upscale --version --verbose`: the version alone, or with what
 * a bug report needs (node, sharp and libvips, the local engine's runtime), one line each.
 */
import type { Terminal } from '../terminal.js';
import { packageVersion } from '../version.js';

export async function versionCommand(verbose: boolean, term: Terminal): Promise<number> {
  if (!verbose) {
    term.stdout.write(`${packageVersion()}\n`);
    return 0;
  }
  const lines = [
    `upscale ${packageVersion()}`,
    `node    ${process.version} (${process.platform} ${process.arch})`,
  ];
  try {
    const { default: sharp } = await import('sharp');
    lines.push(`sharp   ${sharp.versions.sharp ?? '?'} (libvips ${sharp.versions.vips})`);
  } catch (error) {
    lines.push(`sharp   cannot be loaded: ${(error as Error).message.split('\n')[0]}`);
  }
  const { describeLocalEngine } = await import('../../api/local-status.js');
  const engine = describeLocalEngine();
  for (const runtime of engine.runtimes) {
    const state = runtime.present
      ? `${runtime.version ?? '?'} (${runtime.origin === 'added' ? 'added' : 'in the package'}${engine.active === runtime.name ? ', used by -p local' : ''})`
      : runtime.name === 'onnxruntime-node'
        ? 'not added (upscale local add-runtime: -p local about 4x faster)'
        : 'missing (reinstall upscale)';
    lines.push(`local   ${runtime.name} ${state}`);
  }
  term.stdout.write(`${lines.join('\n')}\n`);
  return 0;
}
