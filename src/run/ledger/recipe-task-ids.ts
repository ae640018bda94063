/**
 * The task ids recorded in the recipes beside an output folder's outputs (`.upscale/recipes/`,
 * written by run/recipe.ts). A finished output's entry is gone, but its recipe stays: any run
 * writing into the folder — from any config folder — learns from it that the task is spoken for,
 * so it is no candidate for another input's lost submit. Here rather than in recipe.ts, which
 * imports the ledger: the ledger reads these without an import circle.
 */
import { join } from 'node:path';
import { storeFor } from '../../store/index.js';

/** The recipes' folder inside a ledger folder (`<output folder>/.upscale/`). */
export const RECIPES_DIR = 'recipes';

/** What these readers take from a recipe (or from a download's record, see recipe.ts). */
interface Recorded {
  readonly taskId?: unknown;
  readonly output?: unknown;
  readonly writtenAt?: unknown;
}

/** Every recipe in `ledgerDir`, as far as it can be read (one being written meanwhile is skipped). */
async function recipes(ledgerDir: string): Promise<Recorded[]> {
  const dir = join(ledgerDir, RECIPES_DIR);
  const store = storeFor(dir);
  const names = await store.list(dir).catch(() => [] as string[]);
  const found: Recorded[] = [];
  for (const name of names.filter((n) => n.endsWith('.json'))) {
    try {
      const text = await store.readText(join(dir, name));
      if (text !== undefined) found.push(JSON.parse(text) as Recorded);
    } catch {
      // Gone meanwhile, or half of a file another run is writing (temps are not *.json): skip it.
    }
  }
  return found;
}

/** Every task id a recipe in `ledgerDir` names; recipes written before task ids were recorded name none. */
export async function recipeTaskIds(ledgerDir: string): Promise<string[]> {
  return (await recipes(ledgerDir)).flatMap((r) => (typeof r.taskId === 'string' ? [r.taskId] : []));
}

/** The names of the outputs recipes in `ledgerDir` record (each a file beside that `.upscale/`). */
export async function recipeOutputs(ledgerDir: string): Promise<string[]> {
  return (await recipes(ledgerDir)).flatMap((r) => (typeof r.output === 'string' ? [r.output] : []));
}

const writtenAt = (r: Recorded): string => (typeof r.writtenAt === 'string' ? r.writtenAt : '');

/**
 * The output a recipe in `ledgerDir` records as made by `taskId` (its name beside `.upscale/`), if
 * any. A name that a newer record gives to another task (written over it with --overwrite, under a
 * recipe of another key) is that task's now, not this one's.
 */
export async function recipeOutputOf(ledgerDir: string, taskId: string): Promise<string | undefined> {
  const all = await recipes(ledgerDir);
  const newestOf = (output: string) =>
    all
      .filter((r) => r.output === output)
      .reduce((newest, r) => (writtenAt(r) > writtenAt(newest) ? r : newest));
  for (const r of all) {
    if (r.taskId !== taskId || typeof r.output !== 'string') continue;
    if (newestOf(r.output).taskId === taskId) return r.output;
  }
  return undefined;
}
