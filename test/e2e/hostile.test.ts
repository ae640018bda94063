/**
 * Issue 5: hostile input and secrets. Each bad input gets one clear line naming it, the right
 * status and exit code, and the rest of the batch goes on; keys never leave their API host.
 */
import { copyFile, mkdir, readdir, readFile, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { emulatorEnv, IMAGES, jsonLines, runCli, useEmulator } from './cli-harness.js';

const ctx = useEmulator({ processingMs: 50 });

const env = () => emulatorEnv(ctx.emu);
const photo = (name: string) => copyFile(join(IMAGES, 'photo.jpg'), join(ctx.dir, name));

function crc32(bytes: Buffer): number {
  let c = ~0;
  for (const b of bytes) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return ~c >>> 0;
}
function chunk(type: string, data: Buffer): Buffer {
  const body = Buffer.concat([Buffer.from(type), data]);
  const out = Buffer.alloc(8 + data.length + 4);
  out.writeUInt32BE(data.length, 0);
  body.copy(out, 4);
  out.writeUInt32BE(crc32(body), 8 + data.length);
  return out;
}
/** A 200-byte PNG that declares 40000×40000 pixels: a decompression bomb's header. */
function bombPng(): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(40_000, 0);
  ihdr.writeUInt32BE(40_000, 4);
  ihdr.set([8, 0, 0, 0, 0], 8); // 8-bit greyscale
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(Buffer.alloc(100))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

describe('hostile input', () => {
  it('handles names with spaces and unicode', async () => {
    await photo('my photo ü.jpg');
    const run = await runCli(['my photo ü.jpg', '--json', '--poll-interval', '20'], {
      cwd: ctx.dir,
      env: env(),
    });
    expect(run.code).toBe(0);
    expect(jsonLines(run.stdout)[0]).toMatchObject({ status: 'succeeded', output: 'my photo ü@2x.png' });
  });

  it('takes a name with a leading dash after -- or as ./-name, and explains it otherwise', async () => {
    await photo('-dash.jpg');
    const plain = await runCli(['-dash.jpg'], { cwd: ctx.dir, env: env() });
    expect(plain.code).toBe(2);
    expect(plain.stderr).toContain('./-dash.jpg');
    expect(ctx.emu.requests).toEqual([]);
    const dashed = await runCli(['--poll-interval', '20', '--', '-dash.jpg'], { cwd: ctx.dir, env: env() });
    expect(dashed.code).toBe(0);
    expect(await readdir(ctx.dir)).toContain('-dash@2x.png');
  });

  it('refuses bad files one line each, keeps going, and exits 1 for the batch', async () => {
    await mkdir(join(ctx.dir, 'in'));
    await copyFile(join(IMAGES, 'small.png'), join(ctx.dir, 'in/good.png'));
    await writeFile(
      join(ctx.dir, 'in/truncated.jpg'),
      (await readFile(join(IMAGES, 'photo.jpg'))).subarray(0, 3000),
    );
    await writeFile(join(ctx.dir, 'in/zero.png'), '');
    await writeFile(join(ctx.dir, 'in/fake.png'), '<html>not a png</html>');
    await writeFile(join(ctx.dir, 'in/bomb.png'), bombPng());
    const run = await runCli(['in', '--json', '--poll-interval', '20', '-o', 'out'], {
      cwd: ctx.dir,
      env: env(),
    });
    expect(run.code).toBe(1);
    const byInput = Object.fromEntries(jsonLines(run.stdout).map((l) => [l.input, l]));
    expect(byInput['in/good.png']).toMatchObject({ status: 'succeeded' });
    expect(byInput['in/truncated.jpg']).toMatchObject({ status: 'failed', error: { code: 'NOT_AN_IMAGE' } });
    expect(byInput['in/zero.png']).toMatchObject({
      status: 'failed',
      error: { code: 'NOT_AN_IMAGE', message: expect.stringContaining('empty') },
    });
    expect(byInput['in/fake.png']).toMatchObject({ status: 'failed', error: { code: 'NOT_AN_IMAGE' } });
    expect(byInput['in/bomb.png']).toMatchObject({
      status: 'failed',
      error: { code: 'IMAGE_TOO_LARGE', message: expect.stringContaining('40000×40000') },
    });
    for (const name of ['truncated.jpg', 'zero.png', 'fake.png', 'bomb.png']) {
      expect(
        run.stderr.split('\n').filter((l) => l.includes('failed:') && l.includes(`in/${name}`)),
      ).toHaveLength(1);
    }
    expect(ctx.emu.submissions()).toBe(1);
  });

  it('refuses the whole run with exit 2 when every input fails its pre-check', async () => {
    await writeFile(join(ctx.dir, 'zero.png'), '');
    await writeFile(join(ctx.dir, 'bomb.png'), bombPng());
    const run = await runCli(['zero.png', 'bomb.png', 'missing.jpg'], { cwd: ctx.dir, env: env() });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('missing.jpg does not exist');
    expect(ctx.emu.requests).toEqual([]);
  });

  it('cuts a symlink loop when walking with --recursive', async () => {
    await mkdir(join(ctx.dir, 'loop'));
    await copyFile(join(IMAGES, 'small.png'), join(ctx.dir, 'loop/a.png'));
    await symlink('..', join(ctx.dir, 'loop/up'));
    await symlink('.', join(ctx.dir, 'loop/self'));
    const run = await runCli(['loop', '--recursive', '--dry-run', '--json'], { cwd: ctx.dir, env: env() });
    expect(run.code).toBe(0);
    expect(jsonLines(run.stdout).map((l) => l.input)).toEqual(['loop/a.png']);
  });

  it('exits 2 when the output folder cannot be a folder', async () => {
    await photo('p.jpg');
    await writeFile(join(ctx.dir, 'file'), 'x');
    const run = await runCli(['p.jpg', '-o', 'file/sub'], { cwd: ctx.dir, env: env() });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/-o file\/sub: cannot write into file\/sub \(E[A-Z]+(: [^)]+)?\)/);
    expect(ctx.emu.requests).toEqual([]);
  });

  it('refuses a task id with path characters', async () => {
    const run = await runCli(['status', '../../etc/passwd'], { cwd: ctx.dir, env: env() });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('is not a task id');
    expect(ctx.emu.requests).toEqual([]);
  });
});

describe('an unusable config folder', () => {
  it('a journal that cannot be written is a warning: the image is still upscaled', async () => {
    await photo('p.jpg');
    const cfg = join(ctx.dir, 'cfg');
    await mkdir(cfg);
    await writeFile(join(cfg, 'journal'), 'a file where the journal folder should be');
    const run = await runCli(['p.jpg', '--poll-interval', '20'], {
      cwd: ctx.dir,
      env: { ...env(), UPSCALE_CONFIG_DIR: cfg },
    });
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/warning: cannot write the journal/);
    expect(await readdir(ctx.dir)).toContain('p@2x.png');
  });

  it('a config that cannot be read stops the run before sending, with a hint', async () => {
    await photo('p.jpg');
    await writeFile(join(ctx.dir, 'cfg'), 'x');
    const run = await runCli(['p.jpg'], {
      cwd: ctx.dir,
      env: { ...env(), UPSCALE_CONFIG_DIR: join(ctx.dir, 'cfg/sub') },
    });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('cannot read the stored configuration');
    expect(run.stderr).toContain('UPSCALE_CONFIG_DIR');
    expect(ctx.emu.requests).toEqual([]);
  });
});

describe('secrets', () => {
  it('never shows the key in --verbose logs, errors, JSON lines or the ledger', async () => {
    await photo('p.jpg');
    ctx.emu.set({ processingMs: 3000 });
    const killed = await runCli(
      ['p.jpg', '--verbose', '--json', '--timeout', '0.3', '--poll-interval', '50'],
      { cwd: ctx.dir, env: env() },
    );
    ctx.emu.set({ processingMs: 50 });
    expect(killed.code).toBe(1);
    expect(killed.stderr).toContain('POST');
    const journal = join(ctx.dir, '.upscale-config', 'journal');
    const ledger = join(ctx.dir, '.upscale');
    const files = [
      ...(await readdir(journal)).map((f) => join(journal, f)),
      ...(await readdir(ledger)).map((f) => join(ledger, f)),
    ];
    expect(files.some((f) => f.endsWith('.json'))).toBe(true);
    const all = [killed.stdout, killed.stderr, ...(await Promise.all(files.map((f) => readFile(f, 'utf8'))))];
    for (const text of all) expect(text).not.toContain(ctx.emu.keys.freepik);
    const wrong = await runCli(['p.jpg', '--verbose', '--api-key', 'sekrit-wrong-key'], {
      cwd: ctx.dir,
      env: env(),
    });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr + wrong.stdout).not.toContain('sekrit-wrong-key');
  });

  it('does not follow a redirect from the API to another host', async () => {
    await photo('p.jpg');
    ctx.emu.script('status', [
      { status: 302, headers: { location: `${ctx.emu.cdnUrl}/files/elsewhere.png` } },
    ]);
    ctx.emu.script(
      'status',
      Array.from({ length: 10 }, () => ({ status: 302, headers: { location: `${ctx.emu.cdnUrl}/x` } })),
    );
    const run = await runCli(['p.jpg', '--json', '--poll-interval', '20'], { cwd: ctx.dir, env: env() });
    expect(run.code).toBe(1);
    expect(jsonLines(run.stdout)[0]).toMatchObject({ status: 'failed', error: { code: 'HTTP' } });
    expect(ctx.emu.cdnRequests.filter((r) => !r.internal)).toEqual([]);
    expect(ctx.emu.keyLeaks).toEqual([]);
  });

  it('stores the config file with mode 0600 and never prints a stored key', async () => {
    const cfg = join(ctx.dir, 'cfg');
    const set = await runCli(['config', 'set', 'freepik.apiKey', 'stored-key-123456'], {
      cwd: ctx.dir,
      env: { UPSCALE_CONFIG_DIR: cfg },
    });
    expect(set.code).toBe(0);
    const path = (
      await runCli(['config', 'path'], { cwd: ctx.dir, env: { UPSCALE_CONFIG_DIR: cfg } })
    ).stdout.trim();
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    const get = await runCli(['config', 'get', 'freepik.apiKey'], {
      cwd: ctx.dir,
      env: { UPSCALE_CONFIG_DIR: cfg },
    });
    const list = await runCli(['config', 'list'], { cwd: ctx.dir, env: { UPSCALE_CONFIG_DIR: cfg } });
    expect(get.stdout + list.stdout).not.toContain('stored-key-123456');
    expect(get.stdout).toContain('hidden');
  });
});
