/**
 * What the folders given as inputs leave out (sub-folders without `--recursive`, files that are
 * not images), for a run to say before it starts and for the message when no image is found.
 */
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { type FolderLeftovers, folderLeftovers } from '../run/folder-leftovers.js';
import { isUrlInput } from '../run/naming.js';

export interface FolderNote extends FolderLeftovers {
  /** The folder as it was given. */
  readonly folder: string;
}

/** One note per folder input that leaves something out; none for files, globs and URLs. */
export async function folderNotes(
  inputs: readonly string[],
  options: { readonly cwd: string; readonly recursive: boolean },
): Promise<FolderNote[]> {
  const notes: FolderNote[] = [];
  for (const input of inputs) {
    if (input === '-' || isUrlInput(input)) continue;
    const path = resolve(options.cwd, input);
    const isDir = await stat(path).then(
      (s) => s.isDirectory(),
      () => false,
    );
    if (!isDir) continue;
    const left = await folderLeftovers(path, options.recursive);
    if (left.subfolders.length > 0 || left.others.length > 0) notes.push({ folder: input, ...left });
  }
  return notes;
}
