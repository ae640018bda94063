/**
 * Failures of the local file system, told apart from bugs: a full disk, a low open-file limit, a
 * folder without permission are the user's to fix, and a message must say which and where.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { causeChain } from '../errors.js';

/** What a person can act on, by the OS's code. */
const REASONS: Readonly<Record<string, string>> = {
  ENOSPC: 'no space left on the disk',
  EDQUOT: 'the disk quota is used up',
  EMFILE: 'too many open files (the open-file limit, `ulimit -n`)',
  ENFILE: 'too many open files on the system',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'the file system is read-only',
  EISDIR: 'a folder stands at that name',
  ENOTDIR: 'a file stands where a folder should be',
  EBUSY: 'the file is in use',
  EIO: 'input/output error (a failing disk, or a share that went away)',
  ENOTSUP: 'the file system does not support it',
  EXDEV: 'another file system',
};

/** True for an error a file-system call raised (it carries the OS's code, e.g. ENOSPC). */
export function isFsError(error: unknown): error is NodeJS.ErrnoException {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return error instanceof Error && typeof code === 'string' && /^E[A-Z]+$/.test(code);
}

/** `ENOSPC: no space left on the disk`: the code and what it means. */
export function fsReason(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (typeof code !== 'string') return error instanceof Error ? error.message : String(error);
  return REASONS[code] ? `${code}: ${REASONS[code]}` : code;
}

/** What to do about it, for a hint. */
export function fsHint(error: unknown): string {
  switch ((error as NodeJS.ErrnoException | undefined)?.code) {
    case 'ENOSPC':
    case 'EDQUOT':
      return 'free some space on that disk';
    case 'EMFILE':
    case 'ENFILE':
      return 'raise the open-file limit (`ulimit -n 4096`) or lower --concurrency';
    case 'EROFS':
      return 'pick a folder on a writable disk (-o)';
    default:
      return 'check the folder and its permissions';
  }
}

/**
 * The error of a call on a named local file, on `error` or one of its causes (an HTTP request
 * whose body streams a file that could not be read), told apart from a socket's error by its path.
 */
export function localFileErrorOf(error: unknown): NodeJS.ErrnoException | undefined {
  return causeChain(error).find(
    (e): e is NodeJS.ErrnoException => isFsError(e) && typeof e.path === 'string',
  );
}

/** The OS's codes for a process (EMFILE) or a system (ENFILE) out of open files. */
const OPEN_FILE_LIMIT = new Set(['EMFILE', 'ENFILE']);

/**
 * True when the open-file limit stopped a call: the OS's code on the error or one of its causes,
 * or libvips' words (sharp passes on no code: `unable to open for read … Too many open files`).
 */
export function isOpenFileLimit(error: unknown): boolean {
  return causeChain(error).some((e) => {
    const code = (e as NodeJS.ErrnoException).code;
    return (typeof code === 'string' && OPEN_FILE_LIMIT.has(code)) || /too many open files/i.test(e.message);
  });
}

/**
 * Codes that pass by themselves: a burst of open files that closes a moment later, a file
 * briefly held by another program. Retried before anything is given up.
 */
const PASSING = new Set(['EMFILE', 'ENFILE', 'EAGAIN', 'EBUSY']);

/** True for an error whose code passes by itself (see retryPassing). */
export function isPassing(error: unknown): boolean {
  return PASSING.has((error as NodeJS.ErrnoException | undefined)?.code ?? '');
}

/** Runs `write`, again after 50, 100, 200, 400, 800 ms while it fails with a code that passes. */
export async function retryPassing<T>(write: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await write();
    } catch (error) {
      if (attempt >= 5 || !isPassing(error)) throw error;
      await delay(50 * 2 ** attempt);
    }
  }
}
