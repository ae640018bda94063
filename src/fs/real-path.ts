/**
 * The real path of a folder that may not exist yet: two names of one folder (`out` and a symlink
 * `outlink` to it, or a path through a symlinked parent) give one answer, so the runs that use
 * them see the same claims and ledger entries.
 */
import { readlinkSync, realpathSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';

/** Links followed before giving up (Linux's own limit is 40). */
const MAX_LINKS = 40;

/**
 * `path` (absolute) with every symlink resolved: the longest existing ancestor's real path, then
 * the missing rest as written. A dangling symlink is followed to where it points, since a folder
 * created through it appears there. Sync: called once per output folder of a run, from code that
 * is sync; a loop of links gives the path as far as it could be resolved.
 */
export function realPathOf(path: string): string {
  let current = resolve(path);
  const rest: string[] = [];
  for (let links = 0; ; ) {
    try {
      return resolve(realpathSync.native(current), ...rest);
    } catch {
      // Missing (or unreadable): a dangling link is followed, anything else goes one level up.
    }
    const target = links < MAX_LINKS ? readlinkOrUndefined(current) : undefined;
    if (target !== undefined) {
      links++;
      current = resolve(dirname(current), target);
      continue;
    }
    const parent = dirname(current);
    if (parent === current) return resolve(current, ...rest);
    rest.unshift(basename(current));
    current = parent;
  }
}

function readlinkOrUndefined(path: string): string | undefined {
  try {
    return readlinkSync(path);
  } catch {
    return undefined;
  }
}
