/**
 * Where an output goes. Default rule: `<input name>@<tag>.<ext>` next to the input, where
 * `<tag>` is the provider's (e.g. `4x`, `4k`) and `<ext>` follows the downloaded bytes.
 */
import { basename, dirname, extname, isAbsolute, join, relative } from 'node:path';
import { extensionsOf, formatOfExtension, IMAGE_EXTENSIONS, type ImageFormat } from '../formats.js';
import { storeFor } from '../store/index.js';

/** An input given as an `http://` or `https://` URL rather than a path. */
export const isUrlInput = (input: string): boolean => /^https?:\/\//i.test(input);

export interface OutputTarget {
  readonly dir: string;
  /** File name without extension. */
  readonly stem: string;
  /** Set when the user named the file: its format is what they get. */
  readonly fixed?: { readonly path: string; readonly format: ImageFormat };
  /** The output's format when known before the download (`--format`): only that extension counts as done. */
  readonly format?: ImageFormat;
}

/** The input's name without folder and extension; for URLs, the last path segment. */
export function inputStem(input: string): string {
  let name = input;
  if (isUrlInput(input)) {
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

export const DEFAULT_NAME_TEMPLATE = '{name}@{scale}';

export interface NamingOptions {
  /** Provider's tag for this run, e.g. `4x`, `2k`: the `{scale}` token. */
  readonly tag: string;
  readonly provider: string;
  /** `-o`: a file (with `outputIsFile`) or a folder. */
  readonly output?: string | undefined;
  readonly outputIsFile?: boolean;
  /** `--name`: tokens `{name}` `{ext}` `{scale}` `{provider}`; the output's extension is always added. */
  readonly template?: string | undefined;
  /** `--format`: a format, or `keep` (the input's: the output plan reads which it is). */
  readonly format?: ImageFormat | 'keep' | undefined;
}

/**
 * Checks a `--name` template and returns it without a trailing `.{ext}` (the extension follows
 * the downloaded bytes, so it is always added, once). Returns an error message for a bad one.
 */
export function checkTemplate(template: string): string | { error: string } {
  const stem = template.replace(/\.\{ext\}$/, '');
  if (stem.includes('{ext}')) return { error: '{ext} may only end the name (e.g. "{name}-big.{ext}")' };
  const unknown = /\{(?!name\}|scale\}|provider\}|inext\})[^}]*\}/.exec(stem);
  if (unknown)
    return { error: `unknown token ${unknown[0]} (use {name}, {scale}, {provider}, {inext}, {ext})` };
  if (/[/\\]/.test(stem)) return { error: 'the name must not contain a folder separator' };
  if (stem.trim() === '') return { error: 'the name must not be empty' };
  return stem;
}

function applyTemplate(template: string, input: string, options: NamingOptions): string {
  const inext = isUrlInput(input) ? '' : extname(input).slice(1).toLowerCase();
  return template
    .replaceAll('{name}', inputStem(input))
    .replaceAll('{scale}', options.tag)
    .replaceAll('{provider}', options.provider)
    .replaceAll('{inext}', inext)
    .replace(/[/\\\u0000]/g, '_');
}

/**
 * Resolves where one input's output goes. `-o` with an image extension (or an existing file)
 * is that file; any other `-o` is a folder, and inputs found under a folder argument keep
 * their sub-folders below it (the tree is mirrored). Without `-o`: next to the input
 * (URLs: the current folder).
 */
export function outputTarget(input: string, options: NamingOptions, root?: string): OutputTarget {
  if (options.output !== undefined && options.outputIsFile) {
    const format = formatOfExtension(extname(options.output)) ?? 'png';
    return {
      dir: dirname(options.output),
      stem: basename(options.output, extname(options.output)),
      fixed: { path: options.output, format },
    };
  }
  const stem = applyTemplate(options.template ?? DEFAULT_NAME_TEMPLATE, input, options);
  const isUrl = isUrlInput(input);
  const known = options.format && options.format !== 'keep' ? { format: options.format } : {};
  if (options.output === undefined) return { dir: isUrl ? '.' : dirname(input), stem, ...known };
  const below = root !== undefined && !isUrl ? relative(root, dirname(input)) : '';
  // A relative path that climbs out of the root would escape the output folder: flatten it.
  const safeBelow = below.startsWith('..') || isAbsolute(below) ? '' : below;
  return { dir: join(options.output, safeBelow), stem, ...known };
}

/** The format an input's name says (a URL's path counts, its query does not). */
export function formatOfInput(input: string): ImageFormat | undefined {
  let name = input;
  if (isUrlInput(input)) {
    try {
      name = new URL(input).pathname;
    } catch {
      return undefined;
    }
  }
  return formatOfExtension(extname(name));
}

/** A key that is equal for two targets that would write the same file (any extension). */
export function targetKey(target: OutputTarget): string {
  return (target.fixed ? target.fixed.path : join(target.dir, target.stem)).toLowerCase();
}

/** The final path for downloaded bytes of `format`. */
export function finalPath(target: OutputTarget, ext: string): string {
  return target.fixed ? target.fixed.path : join(target.dir, `${target.stem}.${ext}`);
}

interface Listing {
  readonly names: ReadonlySet<string>;
  /** Each name by its lower-case spelling. */
  readonly lower: ReadonlyMap<string, string>;
}

/**
 * The output folders of one run, each listed at most once a second: a batch asks "is there an
 * output?" of one folder per input, and listing a folder of 10,000 files 10,000 times is slow.
 * Only for one run: every target belongs to one of its inputs (the plan refuses clashes), so
 * nothing this run writes can be missed; a later run must list anew.
 */
export class FolderListings {
  private static readonly TTL_MS = 1000;
  private readonly listings = new Map<string, { readonly at: number; readonly listing: Promise<Listing> }>();

  /** The names in `dir` (none when it cannot be read). */
  list(dir: string): Promise<Listing> {
    const now = Date.now();
    const cached = this.listings.get(dir);
    if (cached && now - cached.at < FolderListings.TTL_MS) return cached.listing;
    const listing = listNow(dir);
    this.listings.set(dir, { at: now, listing });
    return listing;
  }
}

function listNow(dir: string): Promise<Listing> {
  return storeFor(dir)
    .list(dir)
    .catch(() => [] as string[])
    .then((names) => ({ names: new Set(names), lower: new Map(names.map((n) => [n.toLowerCase(), n])) }));
}

/**
 * An existing output for this target, whatever its extension (with --format, of that format),
 * or undefined. `listings` lets a run list each folder once a second rather than once per input.
 */
export async function findExistingOutput(
  target: OutputTarget,
  listings?: FolderListings,
): Promise<string | undefined> {
  const { names, lower } = await (listings ? listings.list(target.dir) : listNow(target.dir));
  if (target.fixed) return names.has(basename(target.fixed.path)) ? target.fixed.path : undefined;
  for (const ext of target.format ? extensionsOf(target.format) : IMAGE_EXTENSIONS) {
    const found = lower.get(`${target.stem}.${ext}`.toLowerCase());
    if (found !== undefined) return join(target.dir, found);
  }
  return undefined;
}
