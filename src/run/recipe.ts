/**
 * What an output was made from — its recipe — so a CI pipeline redoes exactly what changed:
 * the input's bytes (sha256) and everything that changes the result (provider, every parameter,
 * output format, quality, metadata, background, size). Kept beside the outputs, in
 * `.upscale/recipes/<output key>.json`, so a CI cache of the output folder carries it and a run
 * with nothing but that folder knows what is up to date.
 *
 * A small file per output rather than a tag inside it: writing a tag would mean rewriting (or
 * re-encoding) the image in every format we write, and one file per output lets runs in parallel
 * record without sharing a manifest.
 */
import { createHash } from 'node:crypto';
import { existsSync, realpathSync } from 'node:fs';
import { basename, join, relative, resolve, sep } from 'node:path';
import type { OutputOptions } from '../image/output-options.js';
import type { ParamValues } from '../providers/types.js';
import { storeFor } from '../store/index.js';
import { hashFile } from './ledger/ledger.js';
import { LEDGER_DIR_NAME, LedgerFolder } from './ledger/ledger-folder.js';
import { RECIPES_DIR } from './ledger/recipe-task-ids.js';
import { isUrlInput, type OutputTarget } from './naming.js';

export const RECIPE_VERSION = 1;

export interface Recipe {
  readonly provider: string;
  readonly params: ParamValues;
  readonly output: OutputOptions;
}

export interface RecipeRecord {
  readonly version: typeof RECIPE_VERSION;
  /** The output file's name. */
  readonly output: string;
  readonly inputHash: string;
  readonly recipeHash: string;
  /** The recipe in words, for people and for the conflict message. */
  readonly recipe: Recipe;
  readonly writtenAt: string;
  /**
   * The provider's task that made the output (absent for the local engine, and in recipes of
   * earlier versions, which read the same). Runs into this folder count it as spoken for: it is
   * never a candidate for another input's lost submit (see ledger/recipe-task-ids.ts).
   */
  readonly taskId?: string;
  /**
   * The input that made it: a file's path relative to the output's folder (so a CI checkout in
   * another place reads the same), or a URL. Absent in recipes of earlier versions.
   */
  readonly input?: string;
}

/**
 * What `upscale download <task-id>` records of an output it wrote: the task, not a recipe (it knows
 * neither the input nor the parameters). Beside the recipes, under the same key a run would give
 * that output, so that the same download again finds the output there instead of writing a `-2`
 * copy (see remote-task.ts), and any run into the folder counts the task as spoken for. Without a
 * `recipeHash` it is no recipe to `RecipeBook.read`: a run over that output finds it up to date,
 * as an output of unknown making always was.
 */
export interface DownloadRecord {
  readonly version: typeof RECIPE_VERSION;
  readonly output: string;
  readonly taskId: string;
  readonly provider: string;
  readonly writtenAt: string;
  readonly download: true;
}

function recordPath(target: OutputTarget): string {
  return join(target.dir, LEDGER_DIR_NAME, RECIPES_DIR, `${LedgerFolder.keyOf(target)}.json`);
}

/** Records that `upscale download <taskId>` wrote `outputPath` (`target`: that name's own target). */
export async function recordDownload(
  target: OutputTarget,
  outputPath: string,
  taskId: string,
  provider: string,
): Promise<void> {
  const record: DownloadRecord = {
    version: RECIPE_VERSION,
    output: basename(outputPath),
    taskId,
    provider,
    writtenAt: new Date().toISOString(),
    download: true,
  };
  const path = recordPath(target);
  const store = storeFor(target.dir);
  await store.makeFolder(join(path, '..'));
  await store.writeText(path, `${JSON.stringify(record)}\n`);
}

/**
 * Where an output stands against what this run would make of it. `taken`: it was made from
 * another input (another file of the same name, or one whose name differs only in case) — replacing
 * it would make the two inputs replace each other, and pay, on every run.
 */
export type Freshness = 'new' | 'up-to-date' | 'changed' | 'conflicting' | 'taken';

const realOrResolved = (path: string): string => {
  try {
    return realpathSync.native(path);
  } catch {
    return resolve(path);
  }
};

/** How a recipe names an input: see RecipeRecord.input. */
export function inputOf(target: OutputTarget, input: string): string {
  if (isUrlInput(input)) return input;
  return relative(realOrResolved(target.dir), realOrResolved(input)).split(sep).join('/');
}

function sorted(value: object): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : 1)),
  );
}

export function recipeHash(recipe: Recipe): string {
  const text = JSON.stringify([recipe.provider, sorted(recipe.params), sorted(recipe.output)]);
  return createHash('sha256').update(text).digest('hex').slice(0, 32);
}

/** `freepik --scale 2x --engine sparkle, png` — what a recipe says, in a line. */
export function describeRecipe(recipe: Recipe): string {
  const params = Object.entries(sorted(recipe.params)).map(([k, v]) => `${k}=${v}`);
  const output = Object.entries(sorted(recipe.output)).map(([k, v]) => `${k}=${v}`);
  return [recipe.provider, ...params, ...output].join(' ');
}

export class RecipeBook {
  private readonly hashes = new Map<string, Promise<string>>();

  constructor(readonly recipe: Recipe) {}

  readonly hash = (): string => recipeHash(this.recipe);

  /** The sha256 of an input file, read once per run; of a URL input, its text (its bytes are the server's). */
  inputHash(input: string): Promise<string> {
    let hash = this.hashes.get(input);
    if (!hash) {
      hash = isUrlInput(input)
        ? Promise.resolve(createHash('sha256').update(input).digest('hex'))
        : hashFile(input);
      this.hashes.set(input, hash);
    }
    return hash;
  }

  private pathOf(target: OutputTarget): string {
    return recordPath(target);
  }

  async read(target: OutputTarget): Promise<RecipeRecord | undefined> {
    try {
      const text = await storeFor(target.dir).readText(this.pathOf(target));
      if (text === undefined) return undefined;
      const record = JSON.parse(text) as RecipeRecord;
      return record.version === RECIPE_VERSION && typeof record.recipeHash === 'string' ? record : undefined;
    } catch {
      return undefined;
    }
  }

  /**
   * Records that `outputPath` was made from `inputPath` with this run's recipe (by task `taskId`).
   * `inputHash`: the input's bytes as they were sent; an input edited while its task ran must not
   * be recorded as up to date with the old picture.
   */
  async write(
    target: OutputTarget,
    outputPath: string,
    inputPath: string,
    taskId?: string,
    inputHash?: string,
  ): Promise<void> {
    const record: RecipeRecord = {
      version: RECIPE_VERSION,
      output: basename(outputPath),
      inputHash: inputHash ?? (await this.inputHash(inputPath)),
      recipeHash: this.hash(),
      recipe: this.recipe,
      writtenAt: new Date().toISOString(),
      ...(taskId !== undefined ? { taskId } : {}),
      input: inputOf(target, inputPath),
    };
    const path = this.pathOf(target);
    const store = storeFor(target.dir);
    await store.makeFolder(join(path, '..'));
    await store.writeText(path, `${JSON.stringify(record)}\n`);
  }

  /**
   * Where an existing output stands. No record (an output of an earlier version, or made by
   * hand) counts as up to date: upgrading never spends money by surprise.
   */
  async freshness(
    target: OutputTarget,
    input: string,
  ): Promise<{ freshness: Freshness; record?: RecipeRecord }> {
    const record = await this.read(target);
    if (!record) return { freshness: 'up-to-date' };
    if (record.recipeHash !== this.hash()) return { freshness: 'conflicting', record };
    const now = await this.inputHash(input).catch(() => undefined);
    // The same bytes are up to date wherever they came from (a moved or renamed input).
    if (now === undefined || now === record.inputHash) return { freshness: 'up-to-date', record };
    // Another input made it, and is still there: replacing it would make the two replace each
    // other on every run. One that is gone was moved or renamed: this input is its new place.
    const maker = record.input;
    const taken =
      maker !== undefined &&
      maker !== inputOf(target, input) &&
      (isUrlInput(maker) || existsSync(resolve(realOrResolved(target.dir), maker)));
    return { freshness: taken ? 'taken' : 'changed', record };
  }
}
