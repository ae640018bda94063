/** The local folder's store: the commit rules (never clobber, keep the temp on failure), small files, the probe. */
import { mkdir, mkdtemp, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { storeFor } from '../../src/store/index.js';
import { localFolder } from '../../src/store/local-folder.js';

async function folder(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'upscale-store-'));
}

async function staged(dir: string, text: string): Promise<string> {
  const temp = localFolder.stageBeside(join(dir, 'photo.png'), 'part');
  await writeFile(temp, text);
  return temp;
}

describe('local folder store', () => {
  it('is the store of a plain folder', () => {
    expect(storeFor('/some/where')).toBe(localFolder);
  });

  it('stages beside the output under a hidden name tagged with this process', () => {
    const temp = localFolder.stageBeside('/out/photo.png', 'part');
    expect(temp).toMatch(
      new RegExp(`^/out/\\.photo\\.png\\.[0-9a-f]{12}-${process.pid}-[0-9a-f]{8}\\.part$`),
    );
  });

  it('commits to the name, or to the next free one without overwrite (nobody is clobbered)', async () => {
    const dir = await folder();
    const first = await localFolder.commit(await staged(dir, 'one'), join(dir, 'photo.png'), false);
    const second = await localFolder.commit(await staged(dir, 'two'), join(dir, 'photo.png'), false);
    expect([first, second]).toEqual([join(dir, 'photo.png'), join(dir, 'photo-2.png')]);
    expect(await readFile(first, 'utf8')).toBe('one');
    expect(await readFile(second, 'utf8')).toBe('two');
    expect((await readdir(dir)).sort()).toEqual(['photo-2.png', 'photo.png']);
  });

  it('replaces the old output under overwrite', async () => {
    const dir = await folder();
    await writeFile(join(dir, 'photo.png'), 'old');
    const path = await localFolder.commit(await staged(dir, 'new'), join(dir, 'photo.png'), true);
    expect(path).toBe(join(dir, 'photo.png'));
    expect(await readFile(path, 'utf8')).toBe('new');
    expect(await readdir(dir)).toEqual(['photo.png']);
  });

  it('keeps the verified temp file when its name cannot be written (OUTPUT_UNWRITABLE)', async () => {
    const dir = await folder();
    await mkdir(join(dir, 'photo.png'));
    const temp = await staged(dir, 'paid');
    await expect(localFolder.commit(temp, join(dir, 'photo.png'), true)).rejects.toMatchObject({
      code: 'OUTPUT_UNWRITABLE',
    });
    expect(await readFile(temp, 'utf8')).toBe('paid');
    const kept = await localFolder.keepAside(temp, join(dir, '.upscale', 'results'), 'photo.png');
    expect(kept).toBe(join(dir, '.upscale', 'results', 'photo.png'));
    expect(await readFile(kept, 'utf8')).toBe('paid');
  });

  it('reads a missing small file as undefined, and throws for one that cannot be read', async () => {
    const dir = await folder();
    expect(await localFolder.readText(join(dir, 'none.json'))).toBeUndefined();
    await localFolder.writeText(join(dir, 'a.json'), '{"a":1}\n');
    expect(await localFolder.readText(join(dir, 'a.json'))).toBe('{"a":1}\n');
    await expect(localFolder.readText(dir)).rejects.toMatchObject({ code: 'EISDIR' });
  });

  it('tells what stands at a name', async () => {
    const dir = await folder();
    await writeFile(join(dir, 'f'), '');
    expect(await localFolder.kindOf(join(dir, 'f'))).toBe('file');
    expect(await localFolder.kindOf(dir)).toBe('folder');
    expect(await localFolder.kindOf(join(dir, 'none'))).toBeUndefined();
    expect(await localFolder.sameFile(join(dir, 'f'), join(dir, 'f'))).toBe(true);
    expect(await localFolder.modifiedAt(join(dir, 'f'))).toBe((await stat(join(dir, 'f'))).mtimeMs);
  });

  it('probes a folder: made if missing, no probe left behind, a file at a reserved name refused', async () => {
    const dir = join(await folder(), 'new', 'out');
    await localFolder.probeWritable(dir, ['.upscale']);
    expect(await readdir(dir)).toEqual([]);
    await writeFile(join(dir, '.upscale'), 'not a folder');
    await expect(localFolder.probeWritable(dir, ['.upscale'])).rejects.toMatchObject({ code: 'ENOTDIR' });
    expect(await readdir(dir)).toEqual(['.upscale']);
  });
});
