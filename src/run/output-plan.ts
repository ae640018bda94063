/**
 * One plan per input's output, made once before anything is sent and read by everything after:
 * where it goes and in what format (under `--format keep` the input's real format, from its
 * first bytes), where an existing output stands against this run's recipe, whether the input is
 * skipped or its output replaced, and — once the input is checked — the sizes (sent, expected,
 * final). The skip check, `--dry-run`, the writer and the ledger read it; nothing works it out again.
 */
import { resolve } from 'node:path';
import { type ImageFormat, sniffFormat } from '../formats.js';
import { readPieces } from '../fs/read-pieces.js';
import { displayedSize } from '../image/orient.js';
import type { OutputOptions } from '../image/output-options.js';
import { finalSizeOf } from '../image/sizing.js';
import type { SourceImage } from '../image/source.js';
import type { Size } from '../providers/types.js';
import { type FolderListings, findExistingOutput, formatOfInput, type OutputTarget } from './naming.js';
import type { Freshness, RecipeBook } from './recipe.js';

/** Sizes a result may have and still be what was asked: exact, or sides floored to a multiple of 4. */
export interface ExpectedSizes {
  readonly exact: Size;
  readonly floored?: Size | undefined;
}

const near = (a: number, b: number) => Math.abs(a - b) <= Math.max(2, b * 0.01);

function matches(actual: Size, wanted: Size): boolean {
  return (
    (near(actual.width, wanted.width) && near(actual.height, wanted.height)) ||
    (near(actual.width, wanted.height) && near(actual.height, wanted.width))
  );
}

/**
 * True when a result of `actual` size is what the requested scale gives: the exact size or the
 * floored one, within 1 % (or 2 px), either way round (a provider may turn it upright).
 */
export function hasExpectedSize(actual: Size, expected: ExpectedSizes): boolean {
  return (
    matches(actual, expected.exact) || (expected.floored !== undefined && matches(actual, expected.floored))
  );
}

/** An output's sizes, known once its input is checked. */
export interface OutputSize {
  /** The input's stored size, when it could be read. */
  readonly input?: Size | undefined;
  /** The stored size sent instead, when --fit changes it. */
  readonly sent?: Size | undefined;
  /** The provider's output. */
  readonly expected?: ExpectedSizes | undefined;
  /** The output file's displayed size after the exact resize for --width/--height. */
  readonly final?: Size | undefined;
}

export interface OutputPlan {
  /** Where the output goes; its `format` is the one it must have, when known before the bytes. */
  readonly target: OutputTarget;
  /** An existing output is replaced once the new one is verified: --overwrite, or its input changed. */
  readonly replace: boolean;
  /** Where the output stands against this run's recipe (runs that keep recipes). */
  readonly freshness?: Freshness | undefined;
  /** The output already there: the input is skipped, nothing is sent. */
  readonly skip?: string | undefined;
  /** Set once the input is checked, before anything is sent. */
  readonly size?: OutputSize | undefined;
}

/**
 * What makes an output's pixels, for its format when none is asked: a provider's download (its
 * format once it has come, undefined before), or an engine in this process working from the file
 * `engineFrom` (`hasAlpha`: the input has transparency).
 */
export type OutputMaker =
  | { readonly download: ImageFormat | undefined }
  | { readonly engineFrom: string; readonly hasAlpha?: boolean | undefined };

/** Formats an in-process engine writes an input's result in when it keeps the input's own. */
const ENGINE_KEEPS: readonly ImageFormat[] = ['jpeg', 'png', 'webp', 'tiff', 'avif'];

/**
 * The output's format, the one rule every step asks: a file named with -o has its extension's;
 * else --format's (keep: the input's, see planOutput); else what makes it decides — a provider's
 * download stays as it came, an engine in this process keeps the input's own format when that
 * can hold the result (not a JPEG with transparency), else PNG. Before a download comes (`{
 * download: undefined }`), undefined when nothing is asked.
 */
export function outputFormat(
  plan: Pick<OutputPlan, 'target'>,
  maker: { readonly download: ImageFormat } | Extract<OutputMaker, { engineFrom: string }>,
): ImageFormat;
export function outputFormat(plan: Pick<OutputPlan, 'target'>, maker: OutputMaker): ImageFormat | undefined;
export function outputFormat(plan: Pick<OutputPlan, 'target'>, maker: OutputMaker): ImageFormat | undefined {
  const asked = plan.target.fixed?.format ?? plan.target.format;
  if (asked) return asked;
  if ('download' in maker) return maker.download;
  const own = formatOfInput(maker.engineFrom);
  if (own === 'jpeg' && maker.hasAlpha) return 'png';
  return own !== undefined && ENGINE_KEEPS.includes(own) ? own : 'png';
}

async function headOf(path: string): Promise<Buffer | undefined> {
  try {
    for await (const piece of readPieces(path, 32)) return Buffer.from(piece);
  } catch {
    return undefined;
  }
  return undefined;
}

/**
 * `--format keep` means the input's format: a file's real one (a PNG named `.jpg` gives a PNG),
 * else the one its name says.
 */
async function contentTarget(
  input: { readonly input: string; readonly kind: 'file' | 'url'; readonly target: OutputTarget },
  output: OutputOptions | undefined,
): Promise<OutputTarget> {
  const { target } = input;
  if (output?.format !== 'keep' || target.fixed) return target;
  const head = input.kind === 'file' ? await headOf(input.input) : undefined;
  const format = (head ? sniffFormat(head) : undefined) ?? formatOfInput(input.input);
  return format ? { ...target, format } : target;
}

/**
 * The plan of an output collected from a task already paid for (`upscale resume`, `upscale
 * download`): written whatever stands there; its final size from the input, when it can be read.
 */
export function collectPlan(
  target: OutputTarget,
  replace: boolean,
  source?: SourceImage | undefined,
  output?: OutputOptions | undefined,
): OutputPlan {
  if (!source) return { target, replace };
  return {
    target,
    replace,
    size: { final: finalSizeOf(displayedSize(source, source.orientation), output ?? {}) },
  };
}

export interface PlanContext {
  /** Folder relative file inputs are hashed from. */
  readonly cwd: string;
  readonly overwrite: boolean;
  readonly output?: OutputOptions | undefined;
  readonly recipes?: RecipeBook | undefined;
  readonly listings: FolderListings;
}

/**
 * The plan of one input's output before its sizes: its target and format, the output already
 * there (none is looked for under --overwrite) and where it stands against the recipe: up to
 * date (skipped), made from other bytes (replaced), or made with another recipe (conflicting).
 */
export async function planOutput(
  context: PlanContext,
  input: { readonly input: string; readonly kind: 'file' | 'url'; readonly target: OutputTarget },
): Promise<OutputPlan> {
  const target = await contentTarget(input, context.output);
  if (context.overwrite) return { target, replace: true };
  const existing = await findExistingOutput(target, context.listings);
  const { recipes } = context;
  if (!existing) return { target, replace: false, ...(recipes ? { freshness: 'new' as const } : {}) };
  if (!recipes) return { target, replace: false, skip: existing };
  const path = input.kind === 'file' ? resolve(context.cwd, input.input) : input.input;
  const { freshness } = await recipes.freshness(target, path);
  if (freshness === 'changed') return { target, replace: true, freshness };
  return { target, replace: false, freshness, ...(freshness === 'up-to-date' ? { skip: existing } : {}) };
}
