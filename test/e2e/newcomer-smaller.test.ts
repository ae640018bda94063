/**
 * Issue 24, Must 9: the smaller items a newcomer met, each through the built CLI (the freshness
 * table is checked in test/docs/freshness.test.ts; wrapping at 80 columns in terminal.test.ts).
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, tempDir } from './cli-harness.js';

describe('`upscale providers` names the API root a run would use', () => {
  it('from the environment, then the stored config, else the default', async () => {
    const dir = await tempDir();
    const env = { UPSCALE_CONFIG_DIR: join(dir, 'cfg') };
    const plain = await runCli(['providers', 'freepik'], { env });
    expect(plain.stdout).toContain('  submit   POST https://api.freepik.com/v1/ai/image-upscaler\n');

    const fromEnv = await runCli(['providers', 'freepik'], {
      env: { ...env, UPSCALE_FREEPIK_BASE_URL: 'http://127.0.0.1:41423' },
    });
    expect(fromEnv.code).toBe(0);
    expect(fromEnv.stdout).toContain('  submit   POST http://127.0.0.1:41423/v1/ai/image-upscaler\n');
    expect(fromEnv.stdout).toContain('  root     http://127.0.0.1:41423 (from UPSCALE_FREEPIK_BASE_URL);');
    expect(fromEnv.stdout).not.toContain('api.freepik.com');

    const set = await runCli(
      ['config', 'set', 'novita.baseUrl', 'https://user:secret@proxy.example/novita'],
      {
        env,
      },
    );
    expect(set.code, set.stderr).toBe(0);
    const fromConfig = await runCli(['providers', 'novita', '--json'], { env });
    const [novita] = JSON.parse(fromConfig.stdout) as { baseUrl: { inUse: string; from: string } }[];
    // Shown without the credentials it carries.
    expect(novita?.baseUrl).toMatchObject({ inUse: 'https://proxy.example/novita', from: 'config' });
    expect(fromConfig.stdout).not.toContain('secret');
  });
});
