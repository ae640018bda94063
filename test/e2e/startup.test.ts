/**
 * Issue 7: `--help` and `--version` start fast. They answer without loading the heavy modules
 * (undici, sharp, ora, cli-progress), which only the commands that send or draw need.
 */
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { runCli } from './cli-harness.js';

const HEAVY = /node_modules[\\/](undici|sharp|@img|ora|cli-progress)[\\/]/;

describe('start-up', () => {
  it.each([['--version'], ['-V']])('%s prints the package version', async (flag) => {
    const { version } = JSON.parse(await readFile('package.json', 'utf8')) as { version: string };
    const run = await runCli([flag]);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(`${version}\n`);
  });

  // NODE_DEBUG=module logs every CommonJS load; undici, sharp's addon and cli-progress are CommonJS.
  it('--help loads commander and none of the heavy modules', async () => {
    const run = await runCli(['--help'], { env: { NODE_DEBUG: 'module' } });
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/node_modules[\\/]commander[\\/]/);
    expect(run.stderr).not.toMatch(HEAVY);
  });

  it.each([[['help']], [['help', 'status']], [['completion', 'bash']], [['version']]])(
    'upscale %j loads none of the heavy modules either',
    async (args) => {
      const run = await runCli(args, { env: { NODE_DEBUG: 'module' } });
      expect(run.code).toBe(0);
      expect(run.stderr).not.toMatch(HEAVY);
    },
  );

  it('--version alone does not even load commander', async () => {
    const run = await runCli(['--version'], { env: { NODE_DEBUG: 'module' } });
    expect(run.code).toBe(0);
    expect(run.stderr).not.toMatch(/node_modules[\\/]commander[\\/]/);
    expect(run.stderr).not.toMatch(HEAVY);
  });
});
