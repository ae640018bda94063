/**
 * What a folder input leaves out, so a run can say it: the sub-folders it does not enter without
 * `--recursive` (those that hold images somewhere), and the files that are not images. One listing
 * of the folder (and of its sub-folders, to tell whether they hold images); nothing is read.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { isHiddenOrSystem, isImageName } from './inputs.js';

export interface FolderLeftovers {
  /** Sub-folders with images in them (at any depth), left out without `--recursive`. */
  readonly subfolders: readonly string[];
  /** Files of the folder itself that are not images (by extension), by name. */
  readonly others: readonly string[];
}

/** Whether `dir` holds an image file at any depth (hidden and system entries aside). */
async function holdsImages(dir: string, depth = 0): Promise<boolean> {
  if (depth > 8) return false;
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  for (const entry of entries) {
    if (isHiddenOrSystem(entry.name)) continue;
    if (entry.isFile() && isImageName(entry.name)) return true;
    if (entry.isDirectory() && (await holdsImages(join(dir, entry.name), depth + 1))) return true;
  }
  return false;
}

export async function folderLeftovers(dir: string, recursive: boolean): Promise<FolderLeftovers> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const subfolders: string[] = [];
  const others: string[] = [];
  for (const entry of entries) {
    if (isHiddenOrSystem(entry.name)) continue;
    if (entry.isDirectory()) {
      if (!recursive && (await holdsImages(join(dir, entry.name)))) subfolders.push(entry.name);
    } else if (entry.isFile() && !isImageName(entry.name)) others.push(entry.name);
  }
  return { subfolders, others };
}
