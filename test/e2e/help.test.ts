/** Every command's --help shows real examples, on stdout, with exit 0. */
import { describe, expect, it } from 'vitest';
import { runCli } from './cli-harness.js';

describe('--help', () => {
  it.each([
    [[]],
    [['config']],
    [['config', 'set']],
    [['config', 'get']],
    [['config', 'unset']],
    [['config', 'list']],
    [['config', 'path']],
    [['providers']],
    [['status']],
    [['download']],
    [['resume']],
    [['webhook']],
    [['webhook', 'verify']],
  ])('upscale %j --help has an example', async (command) => {
    const run = await runCli([...command, '--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/Examples?:\n {2}\$ upscale /);
    expect(run.stderr).toBe('');
  });

  it('lists the flags of every provider in the main help', async () => {
    const run = await runCli(['--help']);
    for (const flag of [
      '--engine',
      '--sharpen',
      '--flavor',
      '--resolution',
      '--model',
      '--format',
      '--fit',
      '--shard',
    ]) {
      expect(run.stdout).toContain(flag);
    }
  });
});
