/**
 * Reads of image files (the pre-check's, the input's facts, the finishing) when the process meets
 * its open-file limit (EMFILE; ENFILE for the whole system): a batch with a high --concurrency
 * under a low `ulimit -n`. sharp passes no OS code on: it calls a file it could not open an
 * "unsupported image format", which must not be taken for a file that is no image. So a failed
 * read is looked at again by opening the file here: the limit is retried for a moment (it often
 * passes as other inputs close their files), then said as the OS's error, naming the file.
 */
import { open } from 'node:fs/promises';
import { setTimeout as delay } from 'node:timers/promises';
import { causeChain, UpscaleError } from '../errors.js';
import { sniffFormat } from '../formats.js';
import { fsHint, fsReason, isOpenFileLimit } from '../fs/fs-errors.js';

/**
 * What sharp says of a file it could not open (as of a file that is no image at all), or could open
 * but not read on (libvips' read warning, made an error by sharp's default `failOn: 'warning'`; seen
 * in the finishing's read of a downloaded file under a low `ulimit -n`). A damaged image says the
 * last too: its file opens here, and it is retried for 1.5 s, then failed with sharp's own words.
 */
const SHARP_CANNOT_READ =
  /unsupported image format|input file is missing|warning treated as error due to failOn/i;

/** Waits between reads while the limit lasts: 50, 100, 200, 400, 800 ms (1.5 s in all). */
const WAITS_MS = [50, 100, 200, 400, 800];

/** The OS's error for the open-file limit met while reading `path`. */
function limitError(code: 'EMFILE' | 'ENFILE', path: string, cause: unknown): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: too many open files, open '${path}'`, { cause }), {
    code,
    path,
    syscall: 'open',
  });
}

function codeOf(error: unknown): 'EMFILE' | 'ENFILE' {
  for (const e of causeChain(error)) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENFILE' || /too many open files in system/i.test(e.message)) return 'ENFILE';
    if (code === 'EMFILE') return 'EMFILE';
  }
  return 'EMFILE';
}

/** True when sharp's words for a file it could not open are on `error` or one of its causes. */
function saysCannotRead(error: unknown): boolean {
  return causeChain(error).some((e) => SHARP_CANNOT_READ.test(e.message));
}

/**
 * The open-file limit behind a failed read of `paths`, or undefined when something else failed.
 * `certain`: the OS or libvips said so, or opening the file here met it too; otherwise sharp only
 * called an image it could not open unsupported (the limit had passed by the time it was checked).
 */
export async function openFileLimitBehind(
  error: unknown,
  paths: readonly string[],
): Promise<{ limit: NodeJS.ErrnoException; certain: boolean } | undefined> {
  const first = paths[0] ?? '';
  if (isOpenFileLimit(error)) {
    const path = (error as NodeJS.ErrnoException).path ?? first;
    return { limit: limitError(codeOf(error), path, error), certain: true };
  }
  if (!saysCannotRead(error)) return undefined;
  for (const path of paths) {
    try {
      const file = await open(path, 'r');
      let head: Buffer;
      try {
        head = Buffer.alloc(16);
        await file.read(head, 0, head.length, 0);
      } finally {
        await file.close();
      }
      if (sniffFormat(head) !== undefined)
        return { limit: limitError('EMFILE', path, error), certain: false };
    } catch (probe) {
      if (isOpenFileLimit(probe)) return { limit: limitError(codeOf(probe), path, error), certain: true };
    }
  }
  return undefined;
}

/**
 * Runs `read` (of the files `paths`), again while the open-file limit stops it, for up to 1.5 s
 * (and while `again` says it can be run again). Still met then, it throws the OS's error (EMFILE
 * or ENFILE, naming the file) for the caller to word; any other failure is thrown as it came.
 */
export async function readingFiles<T>(
  paths: readonly string[],
  read: () => Promise<T>,
  again: () => Promise<boolean> = async () => true,
): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await read();
    } catch (error) {
      const behind = await openFileLimitBehind(error, paths);
      if (!behind) throw error;
      const wait = WAITS_MS[attempt];
      if (wait === undefined || !(await again())) throw behind.certain ? behind.limit : error;
      await delay(wait);
    }
  }
}

/** An input that cannot be read for a reason of the file system (the open-file limit, …). */
export function inputUnreadable(path: string, error: unknown): UpscaleError {
  return new UpscaleError('INPUT_UNREADABLE', `${path} cannot be read (${fsReason(error)})`, {
    hint: fsHint(error),
    cause: error,
  });
}
