/** Issue 14: a newcomer's dead ends — each fixed, each checked through the built CLI. */
import { copyFile, mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { beforeEach, describe, expect, it } from 'vitest';
import { closestFlag } from '../../src/cli/did-you-mean.js';
import { etaText } from '../../src/cli/reporters/bar.js';
import { IMAGES, jsonLines, runCli, tempDir } from './cli-harness.js';

let dir: string;
beforeEach(async () => {
  dir = await tempDir();
  await copyFile(join(IMAGES, 'photo.jpg'), join(dir, 'photo.jpg'));
});

const key = { FREEPIK_API_KEY: 'k' };
const noStack = (stderr: string) => stderr.split('\n').filter((l) => /^\s+at .+[:(]/.test(l));

describe('messages that lead somewhere', () => {
  it('a mistyped flag with a value gets "did you mean"', async () => {
    const run = await runCli(['photo.jpg', '--sacle=4x'], { cwd: dir, env: key });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('did you mean --scale?');
    expect(closestFlag('--concurency', ['--concurrency', '--scale'])).toBe('--concurrency');
    expect(closestFlag('--zzz', ['--scale'])).toBeUndefined();
  });

  it('a scale the provider lacks names the providers that have it', async () => {
    const run = await runCli(['photo.jpg', '--scale', '3x', '--dry-run'], { cwd: dir, env: key });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(
      /3x works with -p freepik-precision-v2, comfy-precision-v2, magnific-precision-v2, local/,
    );
  });

  it('`upscale -v` alone is a usage error without a stack trace', async () => {
    const run = await runCli(['-v'], { cwd: dir });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('no input given');
    expect(noStack(run.stderr)).toEqual([]);
  });

  it('a bad key header in the config is named as the config key, not the flag', async () => {
    const cfg = join(dir, 'cfg');
    await mkdir(cfg);
    await writeFile(join(cfg, 'config.json'), JSON.stringify({ freepik: { keyHeader: 'bearer' } }));
    const run = await runCli(['photo.jpg', '--dry-run'], {
      cwd: dir,
      env: { ...key, UPSCALE_CONFIG_DIR: cfg },
    });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('config freepik.keyHeader "bearer" is not accepted by freepik');
  });

  it('a shard with no inputs says so', async () => {
    const run = await runCli(['photo.jpg', '--shard', '2/2', '--dry-run'], { cwd: dir, env: key });
    const other = await runCli(['photo.jpg', '--shard', '1/2', '--dry-run'], { cwd: dir, env: key });
    const empty = [run, other].find((r) => r.stdout === '' && /none of the inputs/.test(r.stderr));
    expect(empty?.code).toBe(0);
    expect(empty?.stderr).toMatch(/shard \d\/2: none of the inputs falls in this shard/);
  });

  it('--help shows the offline engine; `upscale providers local` does not speak of base64', async () => {
    const help = await runCli(['--help'], { cwd: dir });
    expect(help.stdout).toMatch(/-p local .*offline, no key/);
    const local = await runCli(['providers', 'local'], { cwd: dir });
    expect(local.stdout).toMatch(/inputs {3}local files, read on this machine; no URLs/);
    expect(local.stdout).not.toContain('base64');
  });

  it('ETA shows — until the first input finishes', () => {
    expect(etaText(0, 12, 5000)).toBe('—');
    expect(etaText(3, 12, 30_000)).toBe('1m30s');
    expect(etaText(6, 12, 6000)).toBe('6s');
    expect(etaText(12, 12, 6000)).toBe('0s');
  });
});

describe('no network', () => {
  it('a host that does not resolve fails fast, names it, and exits 2: nothing was sent', async () => {
    const started = Date.now();
    const run = await runCli(['photo.jpg', '--json'], {
      cwd: dir,
      env: {
        ...key,
        UPSCALE_FREEPIK_BASE_URL: 'https://no-such-host.invalid',
        UPSCALE_RATE_LIMIT: '6000/min',
      },
    });
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(run.code).toBe(2);
    expect(jsonLines(run.stdout)[0]).toMatchObject({ error: { code: 'UNREACHABLE' } });
    expect(run.stderr).toMatch(/cannot reach no-such-host\.invalid \((ENOTFOUND|EAI_AGAIN)/);
  });

  it('a refused connection: the same, for every input, without trying the rest', async () => {
    await copyFile(join(IMAGES, 'small.png'), join(dir, 'small.png'));
    const run = await runCli(['photo.jpg', 'small.png', '--concurrency', '1', '--json'], {
      cwd: dir,
      env: { ...key, UPSCALE_FREEPIK_BASE_URL: 'http://127.0.0.1:9', UPSCALE_RATE_LIMIT: '6000/min' },
    });
    expect(run.code).toBe(2);
    const lines = jsonLines(run.stdout);
    expect(lines.map((l) => (l.error as { code: string }).code)).toEqual(['UNREACHABLE', 'UNREACHABLE']);
    // The second input was not tried: one submit with one quick retry, for the first only.
    expect(lines.map((l) => l.requests)).toEqual([2, 0]);
  });
});

describe('the local engine', () => {
  it('mirrors sub-folders under -o like every provider', async () => {
    await mkdir(join(dir, 'photos', 'trip'), { recursive: true });
    await copyFile(join(IMAGES, 'tiny.png'), join(dir, 'photos', 'trip', 'tiny.png'));
    const run = await runCli(['photos', '-r', '-p', 'local', '--scale', '2x', '-o', 'big', '--json'], {
      cwd: dir,
    });
    expect(run.code).toBe(0);
    expect((await readdir(join(dir, 'big', 'trip'))).filter((n) => !n.startsWith('.'))).toEqual([
      'tiny@2x.png',
    ]);
  });

  it('Ctrl-C stops between tiles, without talk of journals or paying', async () => {
    await sharp({
      create: {
        width: 640,
        height: 640,
        channels: 3,
        background: '#888',
        noise: { type: 'gaussian', mean: 128, sigma: 40 },
      },
    })
      .png()
      .toFile(join(dir, 'big.png'));
    let sentAt = 0;
    // Progress reported after the signal: stopping between tiles allows the tile in hand, not
    // the rest of the image (the bug ran all of it). Counted, not timed: timings flake under load.
    const percentsAfter: number[] = [];
    const run = await runCli(['big.png', '-p', 'local', '--scale', '4x'], {
      cwd: dir,
      onSpawn: (child) => {
        child.stderr?.on('data', (d: Buffer) => {
          const percents = [...String(d).matchAll(/running (\d+)%/g)].map((m) => Number(m[1]));
          if (sentAt !== 0) percentsAfter.push(...percents);
          else if (percents.length > 0) {
            sentAt = Date.now();
            child.kill('SIGINT');
          }
        });
      },
    });
    expect(sentAt).toBeGreaterThan(0);
    expect(run.code).toBe(130);
    expect(percentsAfter.length).toBeLessThanOrEqual(2);
    expect(Math.max(0, ...percentsAfter)).toBeLessThan(100);
    // A generous bound that still catches a signal never reaching the handler (minutes).
    expect(Date.now() - sentAt).toBeLessThan(20_000);
    expect(run.stderr).toMatch(/interrupted: 0 of 1 inputs finished; run the same command again/);
    expect(run.stderr).not.toMatch(/journal|ledger|pay/);
    expect((await readdir(dir)).filter((f) => f.startsWith('big@'))).toEqual([]);
  });
});
