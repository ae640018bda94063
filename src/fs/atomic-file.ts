/**
 * Files a killed process must never leave half-written: written to a temp name that carries the
 * owner's host and pid (so the next run can tell a dead writer's leftovers from a live one's),
 * flushed, then renamed over the final name.
 */
import { randomBytes } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { ownerTag } from './owner.js';

/** A hidden name beside `finalPath`, unique, tagged with this process: `.<name>.<host>-<pid>-<rand>.<suffix>`. */
export function tempNameBeside(finalPath: string, suffix: string): string {
  return join(
    dirname(finalPath),
    `.${basename(finalPath)}.${ownerTag()}-${randomBytes(4).toString('hex')}.${suffix}`,
  );
}

/** Writes `data` so that a reader sees the old file or the new one, never half of it. */
export async function writeAtomically(path: string, data: string): Promise<void> {
  const temp = tempNameBeside(path, 'tmp');
  try {
    const handle = await open(temp, 'wx', 0o600);
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
  // Make the rename itself durable (best effort: not every platform can fsync a folder).
  const dir = await open(dirname(path), 'r').catch(() => undefined);
  await dir?.sync().catch(() => undefined);
  await dir?.close();
}
