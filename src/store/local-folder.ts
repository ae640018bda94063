/**
 * The output store of a folder on a local (or mounted) file system: node:fs, with the commit
 * rules of output-store.ts made of a hard link and an unlink (or a rename onto a name seen free
 * where hard links cannot be made), and claims as lock files (local-claim.ts).
 */
import {
  appendFile,
  link,
  lstat,
  mkdir,
  open,
  readdir,
  readFile,
  rename,
  rm,
  rmdir,
  stat,
  unlink,
  utimes,
} from 'node:fs/promises';
import { join } from 'node:path';
import { UpscaleError } from '../errors.js';
import { tempNameBeside, writeAtomically } from '../fs/atomic-file.js';
import { fsHint, fsReason } from '../fs/fs-errors.js';
import { isDeadOwnersTemp, ownerOfTempName } from '../fs/owner.js';
import { acquireClaim, clearDeadClaim, IdleClaims } from './local-claim.js';
import type { Claim, ClaimOptions, EntryKind, IdleClaimWatch, OutputStore } from './output-store.js';

/**
 * Codes of a hard link the file system cannot make (exFAT, FAT, some network shares; Linux says
 * EPERM for "this file system does not do hard links"). A real permission problem fails the
 * rename that follows too, and is reported from there.
 */
const NO_HARD_LINKS = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS', 'EMLINK', 'EXDEV']);

/**
 * Temp files whose writer cannot be shown gone — no owner in the name (old versions), the
 * host-name-only tag of earlier versions, another container's or host's — are removed once
 * untouched this long: a live writer touches its temp file within seconds.
 */
const ORPHAN_AGE_MS = 24 * 3600_000;

const kindOf = (info: { isFile(): boolean; isDirectory(): boolean }): EntryKind =>
  info.isFile() ? 'file' : info.isDirectory() ? 'folder' : 'other';

async function isFree(path: string): Promise<boolean> {
  return lstat(path).then(
    () => false,
    (error: NodeJS.ErrnoException) => error.code === 'ENOENT',
  );
}

function numbered(path: string, n: number): string {
  const dot = path.lastIndexOf('.');
  const slash = Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\'));
  return dot > slash ? `${path.slice(0, dot)}-${n}${path.slice(dot)}` : `${path}-${n}`;
}

/**
 * Moves a finished temp file to its final name and returns the name used. Without `overwrite`,
 * a hard link fails if a file appeared there meanwhile, so nobody's file is clobbered; the paid
 * result then goes to the next free name (`photo@4x-2.png`) rather than being thrown away. Where
 * hard links cannot be made, a rename onto a name seen free does it: atomic too, and only
 * another program writing that very name in between could be clobbered (runs of upscale hold the
 * output's claim). A failure leaves the temp file where it was, for the caller to keep.
 */
async function commitFile(tempPath: string, finalPath: string, overwrite: boolean): Promise<string> {
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

export const localFolder: OutputStore = {
  async readText(name: string): Promise<string | undefined> {
    return readFile(name, 'utf8').catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return undefined;
      throw error;
    });
  },

  writeText: (name: string, text: string) => writeAtomically(name, text),

  appendText: (name: string, text: string) => appendFile(name, text, { mode: 0o600 }),

  remove: (name: string) => rm(name, { force: true }),

  list: (folder: string) => readdir(folder),

  async makeFolder(folder: string, options?: { readonly private?: boolean }): Promise<void> {
    await mkdir(folder, { recursive: true, ...(options?.private ? { mode: 0o700 } : {}) });
  },

  async removeFolderIfEmpty(folder: string): Promise<void> {
    await rmdir(folder).catch(() => undefined);
  },

  kindOf: (name: string) => lstat(name).then(kindOf, () => undefined),

  targetKindOf: (name: string) => stat(name).then(kindOf, () => undefined),

  modifiedAt: (name: string) =>
    stat(name).then(
      (info) => info.mtimeMs,
      () => undefined,
    ),

  touch: (name: string, when: Date) => utimes(name, when, when),

  async sameFile(a: string, b: string): Promise<boolean> {
    const [first, second] = await Promise.all([
      stat(a).catch(() => undefined),
      stat(b).catch(() => undefined),
    ]);
    return !!first && !!second && first.dev === second.dev && first.ino === second.ino;
  },

  stageBeside: (name: string, suffix: string) => tempNameBeside(name, suffix),

  commit: commitFile,

  async keepAside(staged: string, folder: string, name: string): Promise<string> {
    await mkdir(folder, { recursive: true });
    for (let n = 1; n <= 100; n++) {
      const candidate = join(folder, n === 1 ? name : numbered(name, n));
      if (!(await isFree(candidate))) continue;
      await rename(staged, candidate);
      return candidate;
    }
    throw Object.assign(new Error(`no free name in ${folder}`), { code: 'EEXIST' });
  },

  replace: (staged: string, name: string) => rename(staged, name),

  async probeWritable(folder: string, reserved: readonly string[] = []): Promise<void> {
    await mkdir(folder, { recursive: true });
    const probe = tempNameBeside(join(folder, 'write-test'), 'tmp');
    try {
      const handle = await open(probe, 'wx', 0o600);
      try {
        // A byte, not an empty file: a full disk still makes empty files, and would fail the
        // first claim or entry instead, after the plan. (Not synced: one fsync per output folder
        // would slow a mirrored tree down; a full disk refuses the write itself.)
        await handle.write('.');
      } finally {
        await handle.close();
      }
      for (const name of reserved) {
        const info = await lstat(join(folder, name)).catch(() => undefined);
        if (info && !info.isDirectory())
          throw Object.assign(new Error(`${name} is not a folder`), { code: 'ENOTDIR' });
      }
    } finally {
      await rm(probe, { force: true });
    }
  },

  claim: (name: string, options: ClaimOptions): Promise<Claim> => acquireClaim(name, options),

  clearDeadClaim: (name: string) => clearDeadClaim(name),

  idleClaims: (): IdleClaimWatch => new IdleClaims(),

  async removeDeadTemps(folder: string, keep: ReadonlySet<string>): Promise<void> {
    const names = await readdir(folder).catch(() => [] as string[]);
    for (const name of names) {
      if (!name.startsWith('.') || !(name.endsWith('.part') || name.endsWith('.tmp'))) continue;
      if (keep.has(name)) continue;
      if (isDeadOwnersTemp(name)) {
        await rm(join(folder, name), { force: true }).catch(() => undefined);
      } else if (ownerOfTempName(name) !== undefined || /\.[0-9a-f]{8}\.(?:part|tmp)$/.test(name)) {
        // A writer that cannot be asked (see ORPHAN_AGE_MS): only once clearly abandoned.
        const info = await stat(join(folder, name)).catch(() => undefined);
        if (info && Date.now() - info.mtimeMs > ORPHAN_AGE_MS) await rm(join(folder, name), { force: true });
      }
    }
  },
};
