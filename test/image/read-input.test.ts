/**
 * Reads of image files under the open-file limit (EMFILE, ENFILE), injected: waited out for a
 * moment, then said as the OS's error naming the file, never as a file that is no image.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { inputUnreadable, openFileLimitBehind, readingFiles } from '../../src/image/read-input.js';

const PNG_HEAD = Buffer.from([
  0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52,
]);

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'upscale-read-input-'));
  await writeFile(join(dir, 'photo.png'), PNG_HEAD);
  await writeFile(join(dir, 'notes.txt'), 'not an image at all');
});

const emfile = (path: string) =>
  Object.assign(new Error(`EMFILE: too many open files, open '${path}'`), {
    code: 'EMFILE',
    path,
    syscall: 'open',
  });
/** What sharp says of a file it could not open, with no code. */
const unsupported = () => new Error('Input file contains unsupported image format');

/** A read that fails with `errors` in turn, then gives 'read'; counts its calls. */
function failing(...errors: Error[]) {
  const read = async () => {
    read.calls++;
    const error = errors.shift();
    if (error) throw error;
    return 'read';
  };
  read.calls = 0;
  return read;
}

describe('readingFiles', () => {
  it('waits out an open-file limit that passes, and reads', async () => {
    const path = join(dir, 'photo.png');
    const read = failing(emfile(path), emfile(path));
    expect(await readingFiles([path], read)).toBe('read');
    expect(read.calls).toBe(3);
  });

  it("takes libvips' words for the limit (sharp passes on no code)", async () => {
    const path = join(dir, 'photo.png');
    const read = failing(new Error(`${path}: unable to open for read\nsystem error: Too many open files`));
    expect(await readingFiles([path], read)).toBe('read');
    expect(read.calls).toBe(2);
  });

  it("takes sharp's word for a read that failed with no words (its default failOn) as maybe the limit", async () => {
    // Seen while finishing a downloaded result under `ulimit -n 56`: libvips' error was empty.
    const path = join(dir, 'photo.png');
    const read = failing(new Error('Warning treated as error due to failOn setting'));
    expect(await readingFiles([path], read)).toBe('read');
    expect(read.calls).toBe(2);
  });

  it('a limit that lasts 1.5 s is thrown as the OS error, naming the file', async () => {
    const path = join(dir, 'photo.png');
    const read = failing(...Array.from({ length: 10 }, () => emfile(path)));
    const started = Date.now();
    const error = (await readingFiles([path], read).catch((e: unknown) => e)) as NodeJS.ErrnoException;
    expect(error).toMatchObject({ code: 'EMFILE', path });
    expect(read.calls).toBe(6);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1400);
  });

  it('any other failure is thrown as it came, at once', async () => {
    const path = join(dir, 'photo.png');
    const broken = new Error('VipsJpeg: Premature end of JPEG file');
    const read = failing(broken);
    expect(await readingFiles([path], read).catch((e: unknown) => e)).toBe(broken);
    expect(read.calls).toBe(1);
  });

  it('stops waiting when the read cannot be run again', async () => {
    const path = join(dir, 'photo.png');
    const read = failing(emfile(path), emfile(path));
    const error = await readingFiles([path], read, async () => false).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'EMFILE' });
    expect(read.calls).toBe(1);
  });
});

describe('openFileLimitBehind', () => {
  it('sharp calling an image it could not open unsupported: the limit, not certain', async () => {
    const path = join(dir, 'photo.png');
    expect(await openFileLimitBehind(unsupported(), [path])).toMatchObject({
      certain: false,
      limit: { code: 'EMFILE', path },
    });
  });

  it('sharp calling a file that is no image unsupported: no limit behind it', async () => {
    expect(await openFileLimitBehind(unsupported(), [join(dir, 'notes.txt')])).toBeUndefined();
  });

  it('a file that cannot be opened here for the limit either: certain', async () => {
    // A path that cannot be opened for another reason than the limit says nothing of it.
    expect(await openFileLimitBehind(unsupported(), [join(dir, 'gone.png')])).toBeUndefined();
    const enfile = Object.assign(new Error('ENFILE: file table overflow'), { code: 'ENFILE', path: 'a.png' });
    expect(await openFileLimitBehind(new Error('wrapped', { cause: enfile }), ['a.png'])).toMatchObject({
      certain: true,
      limit: { code: 'ENFILE', path: 'a.png' },
    });
  });
});

describe('inputUnreadable', () => {
  it('one line naming the file and the reason, with the limit’s hint', () => {
    const error = inputUnreadable('in/p30.jpg', emfile('in/p30.jpg'));
    expect(error.code).toBe('INPUT_UNREADABLE');
    expect(error.message).toBe(
      'in/p30.jpg cannot be read (EMFILE: too many open files (the open-file limit, `ulimit -n`))',
    );
    expect(error.message).not.toContain('\n');
    expect(error.hint).toContain('ulimit -n');
    expect(error.hint).toContain('--concurrency');
    expect(error.isPrecheck).toBe(true);
  });
});
