/**
 * Where an output goes. Default rule: `<input name>@<tag>.<ext>` next to the input, where
 * `<tag>` is the provider's (e.g. `4x`, `4k`) and `<ext>` follows the downloaded bytes.
 */
import { readdir } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import { formatOfExtension, IMAGE_EXTENSIONS, type ImageFormat } from '../image/formats.js';

export interface OutputTarget {
  readonly dir: string;
  /** File name without extension. */
  readonly stem: string;
  /** Set when the user named the file: its format is what they get. */
  readonly fixed?: { readonly path: string; readonly format: ImageFormat };
}

/** The input's name without folder and extension; for URLs, the last path segment. */
export function inputStem(input: string): string {
  let name = input;
  if (/^https?:\/\//i.test(input)) {
    try {
      name = decodeURIComponent(new URL(input).pathname.split('/').filter(Boolean).pop() ?? 'image');
    } catch {
      name = 'image';
    }
  }
  const base = basename(name);
  const stem = base.slice(0, base.length - extname(base).length) || base;
  // A name from a URL must not be able to reach outside the output folder.
  return stem.replace(/[/\\\u0000]/g, '_').replace(/^\.+/, '') || 'image';
}

/** True when a path names a file by its image extension (`-o out.png`). */
export function looksLikeImageFile(path: string): boolean {
  return formatOfExtension(extname(path)) !== undefined;
}

/**
 * Resolves `-o` for one input: a path with an image extension (or an existing file) is the file;
 * anything else is a folder. Without `-o`, the input's folder (URLs: the current folder).
 */
export function outputTarget(
  input: string,
  tag: string,
  output: string | undefined,
  outputIsFile: boolean,
): OutputTarget {
  const stem = `${inputStem(input)}@${tag}`;
  if (output !== undefined && outputIsFile) {
    const format = formatOfExtension(extname(output)) ?? 'png';
    return { dir: dirname(output), stem: basename(output, extname(output)), fixed: { path: output, format } };
  }
  const isUrl = /^https?:\/\//i.test(input);
  return { dir: output ?? (isUrl ? '.' : dirname(input)), stem };
}

/** The final path for downloaded bytes of `format`. */
export function finalPath(target: OutputTarget, ext: string): string {
  return target.fixed ? target.fixed.path : join(target.dir, `${target.stem}.${ext}`);
}

/** An existing output for this target, whatever its extension, or undefined. */
export async function findExistingOutput(target: OutputTarget): Promise<string | undefined> {
  if (target.fixed) {
    const names = await readdir(target.dir).catch(() => [] as string[]);
    return names.includes(basename(target.fixed.path)) ? target.fixed.path : undefined;
  }
  let names: string[];
  try {
    names = await readdir(target.dir);
  } catch {
    return undefined;
  }
  const wanted = new Set(IMAGE_EXTENSIONS.map((ext) => `${target.stem}.${ext}`.toLowerCase()));
  const found = names.find((name) => wanted.has(name.toLowerCase()));
  return found === undefined ? undefined : join(target.dir, found);
}
