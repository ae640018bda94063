/**
 * One input from start to finish: skip it when its output exists, pre-check it, then hand it to
 * its backend — a remote provider (ledger, submit, poll, download) or the local engine — whose
 * result goes through the one output writer. Reports through callbacks; never throws.
 */
import { join, relative, resolve } from 'node:path';
import { UpscaleError } from '../errors.js';
import { imageSize } from '../image/finish.js';
import { hasEngine } from '../providers/types.js';
import { isUrlInput } from './naming.js';
import { type Prepared, planned, prepare } from './prepare.js';
import { describeRecipe } from './recipe.js';
import { runRemoteTask } from './remote-task.js';
import {
  errorOf,
  type InputItem,
  type InputTask,
  type Place,
  type RunContext,
  type TaskResult,
} from './task-types.js';

export * from './task-types.js';

/** What produces an input's result: the seam under the run. */
export interface Backend {
  run(run: RunContext, task: InputTask, prepared: Prepared, place?: Place): Promise<TaskResult>;
}

/**
 * The backend a run's provider declares: its in-process engine, or its HTTP API over the run's
 * connection. A provider with an API but no connection (no key) can only be shown (--dry-run).
 */
export function backendOf(run: RunContext): Backend {
  const { provider, connection } = run;
  if (hasEngine(provider))
    return {
      run: async (r, task, prepared) => {
        const { runLocalTask } = await import('./run-local.js');
        return runLocalTask(r, provider, task, prepared);
      },
    };
  if (connection)
    return { run: (r, task, prepared, place) => runRemoteTask({ ...r, connection }, task, prepared, place) };
  return {
    run: async () => {
      throw new UpscaleError('MISSING_KEY', `no API key for ${provider.id}: nothing can be sent`, {
        hint: 'pass --api-key <key> (--dry-run shows what would be sent without one)',
      });
    },
  };
}

/** The plan found the output already there (and up to date, with no result left to write): nothing is sent. */
async function skipIfDone(run: RunContext, task: InputTask): Promise<TaskResult | undefined> {
  const { item, plan } = task;
  const existing = plan.skip;
  if (existing === undefined || (await run.ledger?.resultsLeft(plan.target))) return undefined;
  const size = await imageSize(existing);
  if (!size) {
    throw new UpscaleError('OUTPUT_CLASH', `${existing} exists but is not a readable image`, {
      hint: 'remove it, or pass --overwrite to replace it',
    });
  }
  return {
    input: item.input,
    status: 'skipped',
    provider: run.provider.id,
    output: existing,
    ...size,
    ...(plan.freshness === 'up-to-date' ? { freshness: plan.freshness } : {}),
  };
}

/**
 * Outputs made with another recipe (another provider, model or parameter under the same name):
 * never redone silently, never reported as done.
 */
export async function recipeConflict(
  run: Pick<RunContext, 'recipes'>,
  items: readonly InputItem[],
): Promise<UpscaleError> {
  const first = items[0]!;
  const record = await run.recipes?.read(first.target);
  const made = record ? ` was made with ${describeRecipe(record.recipe)}` : ' was made with another recipe';
  const now = run.recipes ? `, this command would use ${describeRecipe(run.recipes.recipe)}` : '';
  const more = items.length > 1 ? ` (and ${items.length - 1} more)` : '';
  return new UpscaleError(
    'RECIPE_CONFLICT',
    `${first.input}: its output ${record?.output ?? first.target.stem}${made}${now}${more}; nothing was sent`,
    {
      hint: "--overwrite redoes them (and pays again); --name '{name}@{provider}-{scale}' keeps both",
    },
  );
}

/**
 * Outputs whose recipe says another input made them (`a/x.png` then `b/x.png` into one folder,
 * `Photo.png` then `photo.png`): replacing them would make the two inputs replace each other, and
 * pay, on every run. Refused before anything is sent; --overwrite replaces on purpose.
 */
export async function outputTaken(
  run: Pick<RunContext, 'recipes'>,
  items: readonly InputItem[],
): Promise<UpscaleError> {
  const first = items[0]!;
  const record = await run.recipes?.read(first.target);
  const maker = record?.input;
  const from =
    maker === undefined || isUrlInput(maker)
      ? (maker ?? 'another input')
      : relative(resolve('.'), resolve(first.target.dir, maker)) || maker;
  const more = items.length > 1 ? ` (and ${items.length - 1} more)` : '';
  return new UpscaleError(
    'OUTPUT_CLASH',
    `${first.input}: its output ${join(first.target.dir, record?.output ?? `${first.target.stem}.*`)} was made from another input, ${from}${more}; nothing was sent`,
    {
      hint: 'give each its own output (another -o folder, or --name), or pass --overwrite to replace it (and pay again)',
    },
  );
}

/**
 * One input by its output's plan: refused when another recipe made its output, skipped when the
 * output is there, otherwise checked (the plan gets its sizes) and shown (--dry-run) or run.
 */
export async function runTask(run: RunContext, given: InputTask, place?: Place): Promise<TaskResult> {
  const { item } = given;
  const base = { input: item.input, provider: run.provider.id };
  let prepared: Prepared | undefined;
  try {
    if (given.plan.freshness === 'conflicting') throw await recipeConflict(run, [item]);
    if (given.plan.freshness === 'taken') throw await outputTaken(run, [item]);
    const skipped = await skipIfDone(run, given);
    if (skipped) return skipped;
    run.events?.onStage?.(item.input, 'checking');
    prepared = await prepare(run, given);
    const task = { ...given, plan: { ...given.plan, size: prepared.size } };
    if (run.dryRun) return planned(run, task, prepared);
    return await backendOf(run).run(run, task, prepared, place);
  } catch (error) {
    return { ...base, status: 'failed', error: errorOf(error) };
  } finally {
    await prepared?.cleanup();
  }
}
