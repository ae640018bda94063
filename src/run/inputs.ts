/**
 * Expands what the user typed into the inputs of a run: files, folders (`--recursive` to
 * descend), glob patterns (expanded here, so quoted globs work), URLs, and `-` (one input per
 * line on stdin). Hidden and system files are ignored; duplicates are taken once.
 */
import { readdir, realpath, stat } from 'node:fs/promises';
import { basename, dirname, extname, join, relative, resolve, sep } from 'node:path';
import { IMAGE_EXTENSIONS } from '../formats.js';
import { LEDGER_DIR_NAME } from './ledger/ledger-folder.js';
import { recipeOutputs } from './ledger/recipe-task-ids.js';
import { isUrlInput } from './naming.js';

export interface ExpandedInput {
  /** How the input is shown and reported: the path as given or found (relative when given so), or the URL. */
  readonly input: string;
  readonly kind: 'file' | 'url';
  /** The folder argument (or a glob's fixed base) it was found under: outputs mirror the tree below it. */
  readonly root?: string;
  /** True when found by walking a folder or glob rather than named by the user. */
  readonly discovered: boolean;
}

export interface ExpandOptions {
  readonly recursive: boolean;
  readonly cwd: string;
  /** Reads stdin when an input is `-` (the library never touches process.stdin itself). */
  readonly readStdin?: () => Promise<string>;
}

const SYSTEM_FILES = new Set(['thumbs.db', 'desktop.ini', 'ehthumbs.db']);
const GLOB_CHARS = /[*?[\]{}]/;

/** `.DS_Store`, `._photo.jpg` (macOS resource forks), `Thumbs.db`, any dotfile. */
export function isHiddenOrSystem(name: string): boolean {
  return name.startsWith('.') || SYSTEM_FILES.has(name.toLowerCase());
}

/** A paid result that did not decode, kept for the user (`photo@4x.invalid.png`): never an input. */
export function isKeptInvalidResult(name: string): boolean {
  return /\.invalid\.[a-z0-9]+$/i.test(name);
}

export function isImageName(name: string): boolean {
  return (
    IMAGE_EXTENSIONS.includes(extname(name).slice(1).toLowerCase()) &&
    !isHiddenOrSystem(name) &&
    !isKeptInvalidResult(name)
  );
}

/** Walks a folder; symlinked folders are followed once (a loop is cut by their real path). */
async function walk(dir: string, recursive: boolean, seen: Set<string>, out: string[]): Promise<void> {
  const real = await realpath(dir).catch(() => dir);
  if (seen.has(real)) return;
  seen.add(real);
  const entries = await readdir(dir, { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    if (isHiddenOrSystem(entry.name)) continue;
    const path = join(dir, entry.name);
    let isDir = entry.isDirectory();
    let isFile = entry.isFile();
    if (entry.isSymbolicLink()) {
      const target = await stat(path).catch(() => undefined);
      isDir = target?.isDirectory() ?? false;
      isFile = target?.isFile() ?? false;
    }
    if (isDir && recursive) await walk(path, recursive, seen, out);
    else if (isFile && isImageName(entry.name)) out.push(path);
  }
}

/** The part of a glob before its first magic segment: `photos/2024/*.jpg` → `photos/2024`. */
export function globBase(pattern: string): string {
  const parts = pattern.split(/[\\/]/);
  const fixed: string[] = [];
  for (const part of parts) {
    if (GLOB_CHARS.test(part)) break;
    fixed.push(part);
  }
  return fixed.join('/') || '.';
}

async function expandGlob(pattern: string, cwd: string): Promise<string[]> {
  const { glob } = await import('tinyglobby');
  const found = await glob(pattern, {
    cwd,
    onlyFiles: true,
    dot: false,
    followSymbolicLinks: true,
    expandDirectories: false,
  });
  return found.filter((p) => isImageName(p.split('/').pop() ?? p)).sort();
}

async function kindOf(path: string): Promise<'file' | 'dir' | 'missing'> {
  const s = await stat(path).catch(() => undefined);
  if (!s) return 'missing';
  return s.isDirectory() ? 'dir' : 'file';
}

/**
 * Files that are outputs of earlier runs, found while walking folders or expanding globs: named
 * by a recipe in their folder's `.upscale/recipes/` (with the `-2`, `-3` … of a task's further
 * results). Upscaling them again would pay for `p0@2x@4x.png`, and again on every run; a file
 * named on the command line is still taken. One listing per folder.
 */
class EarlierOutputs {
  private readonly byFolder = new Map<string, Promise<ReadonlySet<string>>>();

  async has(path: string): Promise<boolean> {
    const folder = dirname(path);
    let names = this.byFolder.get(folder);
    if (!names) {
      names = recipeOutputs(join(folder, LEDGER_DIR_NAME)).then((found) => new Set(found));
      this.byFolder.set(folder, names);
    }
    const recorded = await names;
    if (recorded.size === 0) return false;
    const name = basename(path);
    if (recorded.has(name)) return true;
    const further = /^(.*)-\d+(\.[^.]+)$/.exec(name);
    // A task's further results: `p0@2x-2.png` beside the recorded `p0@2x.png`.
    return further !== null && [...recorded].some((r) => r.startsWith(`${further[1]}.`));
  }
}

/** Expands raw inputs in order; the same file (by real path) or URL is kept once. */
export async function expandInputs(raw: readonly string[], options: ExpandOptions): Promise<ExpandedInput[]> {
  const queue: string[] = [];
  for (const input of raw) {
    if (input === '-' && options.readStdin) {
      const text = await options.readStdin();
      queue.push(
        ...text
          .split(/\r?\n/)
          .map((l) => l.trim())
          .filter((l) => l !== ''),
      );
    } else queue.push(input);
  }
  const out: ExpandedInput[] = [];
  const seen = new Set<string>();
  const outputs = new EarlierOutputs();
  const add = async (item: ExpandedInput) => {
    if (item.discovered && (await outputs.has(resolve(options.cwd, item.input)))) return;
    const key =
      item.kind === 'url'
        ? item.input
        : await realpath(resolve(options.cwd, item.input)).catch(() => resolve(options.cwd, item.input));
    if (seen.has(key)) return;
    seen.add(key);
    out.push(item);
  };
  for (const input of queue) {
    if (isUrlInput(input)) {
      await add({ input, kind: 'url', discovered: false });
      continue;
    }
    const kind = await kindOf(resolve(options.cwd, input));
    if (kind === 'dir') {
      const files: string[] = [];
      await walk(resolve(options.cwd, input), options.recursive, new Set(), files);
      for (const file of files) {
        // Report found files the way the folder was given (relative stays relative).
        const shown = join(input, relative(resolve(options.cwd, input), file));
        await add({ input: shown, kind: 'file', root: input, discovered: true });
      }
    } else if (kind === 'missing' && GLOB_CHARS.test(input)) {
      const base = globBase(input);
      for (const file of await expandGlob(input, options.cwd)) {
        await add({ input: file.split('/').join(sep), kind: 'file', root: base, discovered: true });
      }
    } else {
      // A missing file stays an input: its pre-check reports it by name.
      await add({ input, kind: 'file', discovered: false });
    }
  }
  return out;
}
