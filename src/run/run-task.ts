/**
 * One input from start to finish: skip it when its output exists, pre-check it, then hand it to
 * its backend — a remote provider (ledger, submit, poll, download) or the local engine — whose
 * result goes through the one output writer. Reports through callbacks; never throws.
 */
import { UpscaleError } from '../errors.js';
import { imageSize } from '../image/finish.js';
import { type AnyProvider, isLocalProvider } from '../providers/types.js';
import { findExistingOutput, targetKey } from './naming.js';
import { type Prepared, planned, prepare, withContentFormat } from './prepare.js';
import { describeRecipe } from './recipe.js';
import { runRemoteTask } from './remote-task.js';
import { errorOf, type InputItem, type Place, type TaskResult, type TaskSettings } from './task-types.js';

export * from './task-types.js';

/** What produces an input's result: the seam under the run. */
export interface Backend {
  run(s: TaskSettings, item: InputItem, prepared: Prepared, place?: Place): Promise<TaskResult>;
}

const remoteBackend: Backend = { run: runRemoteTask };

export function backendOf(provider: AnyProvider): Backend {
  if (!isLocalProvider(provider)) return remoteBackend;
  return {
    run: async (s, item, prepared) => {
      const { runLocalTask } = await import('./run-local.js');
      return runLocalTask(s, provider, item, prepared);
    },
  };
}

async function skipIfDone(s: TaskSettings, item: InputItem): Promise<TaskResult | undefined> {
  if (s.overwrite || item.replace) return undefined;
  const existing = await findExistingOutput(item.target, s.listings);
  if (!existing) return undefined;
  const size = await imageSize(existing);
  if (!size) {
    throw new UpscaleError('OUTPUT_CLASH', `${existing} exists but is not a readable image`, {
      hint: 'remove it, or pass --overwrite to replace it',
    });
  }
  return {
    input: item.input,
    status: 'skipped',
    provider: s.connection.provider.id,
    output: existing,
    ...size,
    ...(s.recipes ? { freshness: 'up-to-date' as const } : {}),
  };
}

/**
 * Outputs made with another recipe (another provider, model or parameter under the same name):
 * never redone silently, never reported as done.
 */
export async function recipeConflict(
  s: Pick<TaskSettings, 'recipes'>,
  items: readonly InputItem[],
): Promise<UpscaleError> {
  const first = items[0]!;
  const record = await s.recipes?.read(first.target);
  const made = record ? ` was made with ${describeRecipe(record.recipe)}` : ' was made with another recipe';
  const now = s.recipes ? `, this command would use ${describeRecipe(s.recipes.recipe)}` : '';
  const more = items.length > 1 ? ` (and ${items.length - 1} more)` : '';
  return new UpscaleError(
    'RECIPE_CONFLICT',
    `${first.input}: its output ${record?.output ?? first.target.stem}${made}${now}${more}; nothing was sent`,
    {
      hint: "--overwrite redoes them (and pays again); --name '{name}@{provider}-{scale}' keeps both",
    },
  );
}

/** An input whose output exists but came from older bytes is redone, replacing the output once verified. */
function withFreshness(s: TaskSettings, item: InputItem): InputItem {
  return s.freshness?.get(targetKey(item.target)) === 'changed' ? { ...item, replace: true } : item;
}

export async function runTask(s: TaskSettings, given: InputItem, place?: Place): Promise<TaskResult> {
  const base = { input: given.input, provider: s.connection.provider.id };
  let prepared: Prepared | undefined;
  try {
    const item = withFreshness(s, await withContentFormat(s.output, given));
    if (s.freshness?.get(targetKey(item.target)) === 'conflicting') throw await recipeConflict(s, [item]);
    const skipped = await skipIfDone(s, item);
    if (skipped) return skipped;
    s.events?.onStage?.(item.input, 'checking');
    prepared = await prepare(s, item);
    if (s.dryRun) {
      const plan = planned(s, item, prepared);
      return s.recipes ? { ...plan, freshness: item.replace ? 'changed' : 'new' } : plan;
    }
    return await backendOf(s.connection.provider).run(s, item, prepared, place);
  } catch (error) {
    return { ...base, status: 'failed', error: errorOf(error) };
  } finally {
    await prepared?.cleanup();
  }
}
