/**
 * Moving a verified file to its final name, and keeping it when that cannot be done: a paid result
 * that passed every check is never deleted because its name could not be written.
 */
import { link, lstat, mkdir, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { UpscaleError } from '../errors.js';
import { fsHint, fsReason } from './fs-errors.js';

/**
 * Codes of a hard link the file system cannot make (exFAT, FAT, some network shares; Linux says
 * EPERM for "this file system does not do hard links"). A real permission problem fails the
 * rename that follows too, and is reported from there.
 */
const NO_HARD_LINKS = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS', 'EMLINK', 'EXDEV']);

async function isFree(path: string): Promise<boolean> {
  return lstat(path).then(
    () => false,
    (error: NodeJS.ErrnoException) => error.code === 'ENOENT',
  );
}

/**
 * Moves a finished temp file to its final name and returns the name used. Without `overwrite`,
 * a hard link fails if a file appeared there meanwhile, so nobody's file is clobbered; the paid
 * result then goes to the next free name (`photo@4x-2.png`) rather than being thrown away. Where
 * hard links cannot be made, a rename onto a name seen free does it: atomic too, and only
 * another program writing that very name in between could be clobbered (runs of upscale hold the
 * output's claim). A failure leaves the temp file where it was, for the caller to keep.
 */
export async function commitFile(tempPath: string, finalPath: string, overwrite: boolean): Promise<string> {
  try {
    if (overwrite) {
      await rename(tempPath, finalPath);
      return finalPath;
    }
    for (let n = 1; n <= 100; n++) {
      const candidate = n === 1 ? finalPath : numbered(finalPath, n);
      try {
        await link(tempPath, candidate);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code ?? '';
        if (code === 'EEXIST') continue;
        if (!NO_HARD_LINKS.has(code)) throw error;
        if (!(await isFree(candidate))) continue;
        await rename(tempPath, candidate);
        return candidate;
      }
      await unlink(tempPath);
      return candidate;
    }
    throw Object.assign(new Error('no free name'), { code: 'EEXIST' });
  } catch (error) {
    throw new UpscaleError('OUTPUT_UNWRITABLE', `cannot write ${finalPath} (${fsReason(error)})`, {
      hint: fsHint(error),
      cause: error,
    });
  }
}

/**
 * Moves `tempPath` into `folder` under `name` (or `name-2`, … when taken) and returns where: a
 * verified result whose own name cannot be written is kept there, in the output folder's
 * `.upscale/`, out of reach of a glob over the outputs. Throws only when that fails too.
 */
export async function keepAside(tempPath: string, folder: string, name: string): Promise<string> {
  await mkdir(folder, { recursive: true });
  for (let n = 1; n <= 100; n++) {
    const candidate = join(folder, n === 1 ? name : numbered(name, n));
    if (!(await isFree(candidate))) continue;
    await rename(tempPath, candidate);
    return candidate;
  }
  throw Object.assign(new Error(`no free name in ${folder}`), { code: 'EEXIST' });
}

function numbered(path: string, n: number): string {
  const dot = path.lastIndexOf('.');
  const slash = Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\'));
  return dot > slash ? `${path.slice(0, dot)}-${n}${path.slice(dot)}` : `${path}-${n}`;
}
