/**
 * Issue 24, Must 9: the smaller items a newcomer met, each through the built CLI (the freshness
 * table is checked in test/docs/freshness.test.ts; wrapping at 80 columns in terminal.test.ts).
 */
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { emulatorEnv, IMAGES, runCli, tempDir, useEmulator } from './cli-harness.js';

const ctx = useEmulator({ processingMs: 100 });

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

describe('the same refusal for several inputs', () => {
  it('is said once, then once in the summary with the inputs it refused (-p novita and files)', async () => {
    await mkdir(join(ctx.dir, 'in'));
    for (const name of ['a.jpg', 'b.jpg', 'c.jpg'])
      await copyFile(join(IMAGES, 'photo.jpg'), join(ctx.dir, 'in', name));
    const run = await runCli(['in', '-p', 'novita', '--resolution', '2k'], {
      cwd: ctx.dir,
      env: { ...emulatorEnv(ctx.emu), UPSCALE_CONFIG_DIR: join(ctx.dir, 'cfg') },
    });
    expect(run.code).toBe(2);
    const said = run.stderr.split('\n').filter((l) => l.includes('cannot take a local file'));
    expect(said, run.stderr).toHaveLength(2);
    expect(said[0]).toMatch(/^\[1\/3\] failed: in\/a\.jpg: novita cannot take a local file/);
    expect(said[1]).toMatch(
      /^ {2}✗ UNSUPPORTED_INPUT novita cannot take a local file: .*: 3 inputs \(in\/a\.jpg, in\/b\.jpg, in\/c\.jpg\); put the image at a public https:\/\/ URL/,
    );
    // No line names an input twice.
    for (const line of run.stderr.split('\n'))
      expect(line.split('in/a.jpg').length, line).toBeLessThanOrEqual(2);
  });
});

describe('folders without --recursive', () => {
  const env = () => ({ ...emulatorEnv(ctx.emu), UPSCALE_CONFIG_DIR: join(ctx.dir, 'cfg') });

  it('say which sub-folders they leave out', async () => {
    await mkdir(join(ctx.dir, 'tree/sub/deeper'), { recursive: true });
    await mkdir(join(ctx.dir, 'tree/notes'));
    await copyFile(join(IMAGES, 'photo.jpg'), join(ctx.dir, 'tree/a.jpg'));
    await copyFile(join(IMAGES, 'photo.jpg'), join(ctx.dir, 'tree/sub/deeper/b.jpg'));
    await writeFile(join(ctx.dir, 'tree/notes/readme.txt'), 'no image here');
    const run = await runCli(['tree', '--dry-run'], { cwd: ctx.dir, env: env() });
    expect(run.code, run.stderr).toBe(0);
    // notes/ holds no image: not worth a word.
    expect(run.stderr).toContain(
      'tree: 1 sub-folder with images not included (sub); -r (--recursive) takes it in\n',
    );
    const recursive = await runCli(['tree', '-r', '--dry-run'], { cwd: ctx.dir, env: env() });
    expect(recursive.stderr).not.toContain('not included');
  });

  it('with no image in them, say what they hold', async () => {
    await mkdir(join(ctx.dir, 'junk/deeper'), { recursive: true });
    await writeFile(join(ctx.dir, 'junk/a.txt'), 'a');
    await writeFile(join(ctx.dir, 'junk/b.md'), 'b');
    await copyFile(join(IMAGES, 'photo.jpg'), join(ctx.dir, 'junk/deeper/c.jpg'));
    const run = await runCli(['junk'], { cwd: ctx.dir, env: env() });
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(
      'error: no image files found in junk: junk holds 2 files that are not images (a.txt, b.md) and 1 sub-folder with images (deeper)\n  hint: pass --recursive (-r) to take in the sub-folders\n',
    );
  });
});

describe('a URL given to a provider that takes files only', () => {
  it('names the providers that take URLs, the same key first', async () => {
    const run = await runCli([`${ctx.emu.cdnUrl}/static/photo.jpg`], {
      cwd: ctx.dir,
      env: { ...emulatorEnv(ctx.emu), UPSCALE_CONFIG_DIR: join(ctx.dir, 'cfg') },
    });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('freepik does not take image URLs\n');
    expect(run.stderr).toMatch(
      /hint: download the image and pass the file, or use a provider that takes URLs: -p freepik-precision-v2 \(.*novita.*\)/,
    );
  });
});
