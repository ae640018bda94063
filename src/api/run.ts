/**
 * The run behind both the CLI and the programmatic API: inputs → planned items (names, shard,
 * clashes) → an optional price check (`maxCost`) → the batch. Reports through callbacks only.
 */
import { lstat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { UpscaleError, usageError } from '../errors.js';
import { IMAGE_EXTENSIONS } from '../formats.js';
import { fsHint, fsReason } from '../fs/fs-errors.js';
import type { HttpClient } from '../http/client.js';
import { checkedNumber, type ResolvedOptions } from '../options.js';
import { runBatch } from '../run/batch.js';
import { type CostTotal, describeTotal, formatMoney, totalCost } from '../run/cost-total.js';
import { DurationModel } from '../run/duration-model.js';
import { expandInputs } from '../run/inputs.js';
import { taskIdOf } from '../run/ledger/entry.js';
import { absoluteTarget, Ledger } from '../run/ledger/ledger.js';
import { type LedgerFolder, probeOutputFolder } from '../run/ledger/ledger-folder.js';
import { LedgerHome } from '../run/ledger/ledger-home.js';
import { migrateLegacyJournal } from '../run/ledger/legacy-journal.js';
import { boardName, FolderListBoard, keyFileStem, type ListBoard } from '../run/list-board.js';
import { checkTemplate, FolderListings, looksLikeImageFile } from '../run/naming.js';
import { planOutput } from '../run/output-plan.js';
import { planItems, shardSizes } from '../run/plan.js';
import type { Connection } from '../run/provider-api.js';
import { RecipeBook } from '../run/recipe.js';
import { UncertainResolver } from '../run/resolve-uncertain.js';
import type {
  InputItem,
  InputSettings,
  InputTask,
  RunContext,
  RunState,
  TaskEvents,
  TaskResult,
} from '../run/run-task.js';
import { newRunState, outputTaken, recipeConflict, runTask } from '../run/run-task.js';
import type { Shard } from '../run/shard.js';
import { FolderSplitRoll, type SplitRoll } from '../run/split-roll.js';
import { StatusHub } from '../run/status-hub.js';
import { someOf } from '../some-of.js';
import { folderNotes } from './folder-notes.js';

export interface RunEvents extends TaskEvents {
  /** One input ended (any status), in the order they end. */
  onResult?(result: TaskResult): void;
  /**
   * Before anything is sent: how many inputs have a task an earlier run paid for (in the ledger),
   * which this run collects instead of submitting again.
   */
  onPaidPending?(count: number): void;
  /**
   * Before anything is sent: paid tasks in this run's output folders whose input file is gone
   * (moved or renamed since): this run does not collect them, `upscale resume` can.
   */
  onPendingOfGoneInputs?(tasks: readonly GoneInputTask[]): void;
  /** The estimate of a run checked against `maxCost`, before anything is sent. */
  onEstimate?(total: CostTotal): void;
  /**
   * The config folder's journal (the index `upscale status` reads) could not be written, said
   * once: the run goes on, its ledger is in the output folders.
   */
  onJournalError?(dir: string, error: unknown): void;
}

/** A paid task of an input that is no longer where it was. */
export interface GoneInputTask {
  /** The input as it was given. */
  readonly input: string;
  /** Its absolute path when it was submitted. */
  readonly path: string;
  readonly taskId?: string;
  /** The output folder whose ledger holds it. */
  readonly folder: string;
}

export interface RunRequest {
  readonly inputs: readonly string[];
  readonly options: ResolvedOptions;
  readonly client: HttpClient;
  /** The provider's API (see Link): none for an in-process engine, nor under --dry-run without a key. */
  readonly connection: Connection | undefined;
  /** Folder relative inputs and outputs are resolved against. */
  readonly cwd: string;
  /** Reads stdin when an input is `-`. */
  readonly readStdin?: () => Promise<string>;
  /** A file (one input, image extension, or `outputIsFile`) or a folder. */
  readonly output?: string | undefined;
  readonly outputIsFile?: boolean;
  readonly recursive?: boolean;
  /** `--name` template. */
  readonly name?: string | undefined;
  readonly shard?: Shard | undefined;
  readonly overwrite?: boolean;
  readonly dryRun?: boolean;
  readonly concurrency?: number;
  /**
   * The config folder's journal: which output folders hold pending paid work (for `upscale
   * status` and `upscale resume`), and the task ids this machine was given. The ledger itself
   * is in each output folder (`.upscale/`), used with or without this.
   */
  readonly journalDir?: string | undefined;
  /** Send again a submit whose answer was lost when the task list cannot tell (may pay twice). */
  readonly resubmitUncertain?: boolean;
  readonly signal?: AbortSignal | undefined;
  readonly submitSignal?: AbortSignal | undefined;
}

/** Without a request budget (`--rate-limit off`): tasks in flight at once. */
export const DEFAULT_CONCURRENCY = 4;
/** With a budget, tasks in flight are cheap (requests are what count): up to this many. */
export const MAX_BUDGET_CONCURRENCY = 64;

/**
 * Tasks in flight at once, unless asked: as many as keep the request budget busy (in flight they
 * cost nothing; a list request polls them all), one per request the budget allows in its window,
 * between 4 and 64. A local engine already uses every core for one image: one at a time.
 */
export function concurrencyOf(request: Pick<RunRequest, 'concurrency' | 'options'>): number {
  const { provider, remote } = request.options;
  const rateLimit = remote?.rateLimit;
  // Checked here too, by the same rule, for a RunRequest built without normalizeOptions (resume):
  // NaN would run no worker at all.
  if (request.concurrency !== undefined) return checkedNumber('concurrency', request.concurrency);
  if (provider.engine) return provider.engine.defaultConcurrency;
  if (!rateLimit) return DEFAULT_CONCURRENCY;
  return Math.max(DEFAULT_CONCURRENCY, Math.min(MAX_BUDGET_CONCURRENCY, rateLimit.limit));
}

function parseTemplate(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  const checked = checkTemplate(raw);
  if (typeof checked !== 'string')
    throw usageError(`--name "${raw}": ${checked.error}`, 'e.g. --name "{name}-{scale}"');
  return checked;
}

/** With --width/--height the scale differs per input: outputs are named by the size asked (`w1920`, `1920x1080`). */
function sizeTag(output: ResolvedOptions['output']): string | undefined {
  const { width, height } = output;
  if (width !== undefined && height !== undefined) return `${width}x${height}`;
  if (width !== undefined) return `w${width}`;
  return height === undefined ? undefined : `h${height}`;
}

/** A folder this run will write into, created and proved writable before anything is sent. */
async function checkWritable(dir: string, flag: string | undefined): Promise<void> {
  const refuse = (error: NodeJS.ErrnoException) =>
    new UpscaleError(
      'OUTPUT_FOLDER_UNWRITABLE',
      `${flag ? `-o ${flag}: ` : ''}cannot write into ${dir} (${fsReason(error)})`,
      { hint: `${fsHint(error)}, or pick another folder (-o); nothing was sent`, cause: error },
    );
  // The ledger goes there too: its folder's store checks that nothing else stands at its name.
  await probeOutputFolder(dir).catch((error: unknown) => {
    throw refuse(error as NodeJS.ErrnoException);
  });
}

async function prepareOutputFolders(items: readonly InputItem[], flag: string | undefined): Promise<void> {
  const dirs = new Set(items.map((i) => (i.target.fixed ? dirname(i.target.fixed.path) : i.target.dir)));
  for (const dir of dirs) await checkWritable(dir, flag);
}

/** No image among the inputs: the message names what the folders held instead. */
async function noImagesError(request: RunRequest): Promise<UpscaleError> {
  const notes = await folderNotes(request.inputs, {
    cwd: request.cwd,
    recursive: Boolean(request.recursive),
  });
  const held = notes.map((n) => {
    const parts = [];
    if (n.others.length > 0)
      parts.push(
        n.others.length === 1
          ? `1 file that is not an image (${someOf(n.others)})`
          : `${n.others.length} files that are not images (${someOf(n.others)})`,
      );
    if (n.subfolders.length > 0)
      parts.push(
        `${n.subfolders.length} sub-${n.subfolders.length === 1 ? 'folder' : 'folders'} with images (${someOf(n.subfolders)})`,
      );
    return `${n.folder} holds ${parts.join(' and ')}`;
  });
  const deeper = notes.some((n) => n.subfolders.length > 0);
  return usageError(
    `no image files found in ${request.inputs.join(' ')}${held.length > 0 ? `: ${held.join('; ')}` : ''}`,
    deeper
      ? 'pass --recursive (-r) to take in the sub-folders'
      : `pass image files (${IMAGE_EXTENSIONS.join(', ')}), or a folder that holds some`,
  );
}

/** Expands and names the inputs; throws a usage error when there are none or two share an output. */
export async function planRun(request: RunRequest): Promise<InputItem[]> {
  const { options } = request;
  const expanded = await expandInputs(request.inputs, {
    recursive: Boolean(request.recursive),
    cwd: request.cwd,
    ...(request.readStdin ? { readStdin: request.readStdin } : {}),
  });
  if (expanded.length === 0) throw await noImagesError(request);
  const single = expanded.length === 1 && !expanded[0]!.discovered;
  const outputIsFile =
    request.output !== undefined && (Boolean(request.outputIsFile) || looksLikeImageFile(request.output));
  if (outputIsFile && !single) {
    throw usageError(
      `-o ${request.output} names one file, but there are ${expanded.length} inputs`,
      'pass a folder to -o for several inputs',
    );
  }
  const items = planItems(expanded, {
    tag: sizeTag(options.output) ?? options.provider.outputTag(options.params),
    provider: options.provider.id,
    output: request.output,
    outputIsFile,
    template: parseTemplate(request.name),
    shard: request.shard,
    format: options.output.format,
  });
  if (!request.dryRun) await prepareOutputFolders(items, request.output);
  // The other shards of the split use the same key: this run starts at its part of the limit, by
  // the inputs of each shard (every shard sees the whole list). See KeyShare.
  if (request.shard && !request.dryRun && expanded.length > 0)
    request.connection?.budget?.expectSplit({
      sizes: shardSizes(expanded, request.shard.count),
      index: request.shard.index - 1,
    });
  const fixed = items[0]?.target.fixed;
  const asked = options.output.format;
  if (fixed && asked && asked !== 'keep' && asked !== fixed.format) {
    throw usageError(
      `-o ${fixed.path} names a ${fixed.format} file, but --format asks for ${asked}`,
      'drop --format (the extension decides), or name a file of that format',
    );
  }
  return items;
}

function contextOf(
  request: RunRequest,
  events: RunEvents | undefined,
  ledger?: Ledger,
  model?: DurationModel,
  board?: ListBoard,
): RunContext {
  const { options, client, connection } = request;
  // A run that pays tasks (a ledger) sends its first submit alone, and none after a refusal.
  const state = newRunState({
    gated: ledger !== undefined && connection !== undefined,
    ...(model ? { model } : {}),
  });
  return {
    provider: options.provider,
    client,
    ...(connection ? { connection } : {}),
    pollIntervalMs: options.pollIntervalMs,
    timeoutMs: options.timeoutMs,
    dryRun: Boolean(request.dryRun),
    ...(request.signal ? { signal: request.signal } : {}),
    ...(request.submitSignal ? { submitSignal: request.submitSignal } : {}),
    ...(events ? { events } : {}),
    state,
    ...(ledger && connection ? ledgerSettings(request, connection, ledger, state, board) : {}),
  };
}

/**
 * Every input of an `upscale` run is made with the run's options, and its output planned once,
 * before anything is sent: where it goes, in what format, and whether it is up to date (skipped),
 * made from other bytes (replaced) or made with another recipe (conflicting). Each folder is
 * listed once, each recipe read once, and only inputs with a recorded output are hashed.
 */
async function planTasks(
  request: RunRequest,
  items: readonly InputItem[],
  recipes: RecipeBook,
): Promise<InputTask[]> {
  const { options } = request;
  const settings: InputSettings = {
    params: options.params,
    output: options.output,
    overwrite: Boolean(request.overwrite),
  };
  // One listing per output folder, not one per input: a folder of 10,000 would be read 10,000 times.
  const context = { ...settings, cwd: request.cwd, recipes, listings: new FolderListings() };
  const tasks: InputTask[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      const item = items[index]!;
      tasks[index] = { item, ...settings, plan: await planOutput(context, item) };
    }
  };
  await Promise.all(Array.from({ length: Math.min(8, items.length) }, worker));
  return tasks;
}

/** The ledger, the resolver of lost submits, and the submits in flight it waits for. */
function ledgerSettings(
  request: RunRequest,
  connection: Connection,
  ledger: Ledger,
  { inflight }: RunState,
  board: ListBoard | undefined,
): Partial<RunContext> {
  const { options } = request;
  const resolver = new UncertainResolver(connection, ledger, {
    pollIntervalMs: options.pollIntervalMs,
    timeoutMs: options.timeoutMs,
    signal: request.signal,
    submitsSettled: async () => {
      await Promise.allSettled([...inflight]);
    },
  });
  return {
    ledger,
    resolver,
    resubmitUncertain: Boolean(request.resubmitUncertain),
    // From before the output folders were tidied: a result the tidy moved in is this command's.
    runStartedAt: ledger.openedAt,
    // Batch polls save requests for a budget; without one (`--rate-limit off`) each task polls itself.
    ...(connection.budget ? { hub: new StatusHub(connection, { signal: request.signal, board }) } : {}),
  };
}

/**
 * Where this run shares its task lists' answers with other runs on the same key: the ledger of
 * its output folder, when it has one (a run writing into several folders shares none).
 */
async function listBoardOf(folder: LedgerFolder, connection: Connection): Promise<ListBoard> {
  const board = new FolderListBoard(
    folder.store,
    boardName(folder.dir, connection.baseUrl, connection.apiKey),
  );
  // A first look: what is there now is old (a run that ended, or was killed: see close()).
  await board.news();
  return board;
}

/** The one ledger folder of the run's outputs; undefined when they go to several. */
function sharedFolderOf(ledger: Ledger, tasks: readonly InputTask[], cwd: string): LedgerFolder | undefined {
  const folders = new Set(tasks.map((t) => ledger.folder(absoluteTarget(t.item.target, cwd).dir)));
  return folders.size === 1 ? [...folders][0] : undefined;
}

/**
 * A shard of a split on a shared folder: hears when the other shards are done with the key, and
 * hands their parts of its limit to this one (see SplitRoll). Returns what ends the watch.
 */
async function watchSplit(
  folder: LedgerFolder,
  connection: Connection,
  shard: Shard,
): Promise<{ roll: SplitRoll; stop: () => void } | undefined> {
  const budget = connection.budget;
  const split = budget?.split;
  if (!budget || !split) return undefined;
  const base = keyFileStem(folder.dir, connection.baseUrl, connection.apiKey);
  const roll = await FolderSplitRoll.open(folder.store, base, shard, split.sizes);
  let looking = false;
  // A shard that said it is done sent its last requests up to a moment ago, and the server counts
  // them for a window more: its part goes to the others once they are out of the window (taken
  // at once, they met a 429 at the end of most 6-shard runs).
  const leaving: { index: number; at: number }[] = [];
  const timer = setInterval(() => {
    const now = Date.now();
    const freeAt = now - budget.limit.windowMs;
    while (leaving.length > 0 && leaving[0]!.at <= freeAt) budget.peerLeft(leaving.shift()!.index - 1);
    if (looking) return;
    looking = true;
    roll
      .left()
      .then((gone) => {
        for (const index of gone) leaving.push({ index, at: now });
      })
      .catch(() => undefined)
      .finally(() => {
        looking = false;
      });
  }, SPLIT_LOOK_MS);
  return { roll, stop: () => clearInterval(timer) };
}

/** How often a shard looks whether the others are done: a part idle a quarter of a second costs little. */
const SPLIT_LOOK_MS = 250;

/** Inputs of `tasks` whose ledger entry holds a task id: paid for by an earlier run, not yet collected. */
/**
 * The paid tasks of this run's output folders: how many are this run's inputs' (collected first),
 * and those whose input file is gone (moved or renamed: the same command would not name them).
 */
async function paidPending(
  ledger: Ledger,
  tasks: readonly InputTask[],
  cwd: string,
): Promise<{ count: number; gone: GoneInputTask[] }> {
  const keys = new Set(tasks.map((t) => ledger.keyOf(t.item.target)));
  const dirs = new Set(tasks.map((t) => absoluteTarget(t.item.target, cwd).dir));
  let count = 0;
  const gone: GoneInputTask[] = [];
  for (const dir of dirs)
    for (const { key, entry } of await ledger.folder(dir).entries()) {
      const taskId = taskIdOf(entry);
      if (keys.has(key)) {
        if (taskId !== undefined) count++;
      } else if (entry.kind === 'file' && entry.path && !(await exists(entry.path)))
        gone.push({ input: entry.input, path: entry.path, folder: dir, ...(taskId ? { taskId } : {}) });
    }
  return { count, gone };
}

async function exists(path: string): Promise<boolean> {
  return lstat(path).then(
    () => true,
    (error: NodeJS.ErrnoException) => error.code !== 'ENOENT',
  );
}

/** Durations remembered across runs, in `durations.json` beside the journal (no key in it). */
async function openModel(request: Pick<RunRequest, 'journalDir'>): Promise<DurationModel> {
  const model = new DurationModel(
    request.journalDir === undefined ? undefined : join(request.journalDir, 'durations.json'),
  );
  await model.load();
  return model;
}

/** The run's ledger (remote providers, not under --dry-run), its output folders tidied first. */
export async function openLedger(
  request: Pick<RunRequest, 'journalDir' | 'cwd'>,
  events: RunEvents | undefined,
  outputDirs: Iterable<string>,
): Promise<Ledger> {
  const { journalDir } = request;
  const home =
    journalDir === undefined
      ? undefined
      : new LedgerHome(journalDir, (error) => events?.onJournalError?.(journalDir, error));
  if (home) await migrateLegacyJournal(home.dir, home);
  const ledger = new Ledger(home, request.cwd);
  await ledger.tidy(outputDirs);
  return ledger;
}

/** Prices every input from its header (nothing is sent) and refuses a total above `maxCost`. */
export async function checkMaxCost(
  request: RunRequest,
  tasks: readonly InputTask[],
  maxCost: number,
  recipes?: RecipeBook,
): Promise<CostTotal> {
  // Changed inputs are priced too: their plans redo them.
  const context = { ...contextOf({ ...request, dryRun: true }, undefined), ...(recipes ? { recipes } : {}) };
  const planned = await runBatch(context, tasks, {
    concurrency: concurrencyOf(request),
    run: runTask,
  });
  const total = totalCost(planned);
  const named = request.options.maxCostCurrency;
  if (named && total.currency && named !== total.currency) {
    // $5 is not €5: a limit in another currency than the prices cannot be checked without a rate.
    throw new UpscaleError(
      'COST_LIMIT',
      `--max-cost ${maxCost} ${named}: the prices of ${request.options.provider.id} are in ${total.currency}, and ${named} is not converted; nothing was sent`,
      {
        hint: `give --max-cost in ${total.currency} (e.g. --max-cost ${maxCost} ${total.currency}), or as a plain number`,
      },
    );
  }
  const limit = formatMoney(maxCost, total.currency || 'EUR');
  if (total.unknown > 0) {
    throw new UpscaleError(
      'COST_LIMIT',
      `--max-cost ${limit} cannot be checked: ${total.unknown} input(s) have no known price on ${request.options.provider.id}`,
      {
        hint: 'drop --max-cost to run anyway, or pick a provider with a known price (--dry-run shows the estimate)',
      },
    );
  }
  if (total.amount > maxCost) {
    throw new UpscaleError(
      'COST_LIMIT',
      `the estimated cost, ${describeTotal(total)}, is over --max-cost ${limit}; nothing was sent`,
      { hint: 'raise --max-cost, lower --scale, or run fewer inputs (--dry-run prints each estimate)' },
    );
  }
  return total;
}

/** Runs planned items: the price check first when `maxCost` is set, then the batch. */
export async function executeRun(
  request: RunRequest,
  items: readonly InputItem[],
  events?: RunEvents,
): Promise<TaskResult[]> {
  const { options } = request;
  const recipes = new RecipeBook({
    provider: options.provider.id,
    params: options.params,
    output: options.output,
  });
  // The output folders are tidied first (a result a dead run was moving into place is put there),
  // so that the plans see them as they are.
  // Paid tasks are kept in a ledger: only a run that sends them to the provider's API has one.
  const ledger =
    request.dryRun || !request.connection
      ? undefined
      : await openLedger(
          request,
          events,
          items.map((i) => i.target.dir),
        );
  let model: DurationModel | undefined;
  let board: ListBoard | undefined;
  let split: Awaited<ReturnType<typeof watchSplit>>;
  try {
    const tasks = await planTasks(request, items, recipes);
    const conflicting = tasks.filter((t) => t.plan.freshness === 'conflicting').map((t) => t.item);
    // Another recipe on the same output name is refused before anything is sent (a dry run lists them).
    if (conflicting.length > 0 && !request.dryRun) throw await recipeConflict({ recipes }, conflicting);
    // So is an output another input made: the two would replace each other, and pay, every run.
    const taken = tasks.filter((t) => t.plan.freshness === 'taken').map((t) => t.item);
    if (taken.length > 0 && !request.dryRun) throw await outputTaken({ recipes }, taken);
    if (options.maxCost !== undefined && !request.dryRun) {
      // Checked first, whether or not anyone listens for the estimate.
      const estimate = await checkMaxCost(request, tasks, options.maxCost, recipes);
      events?.onEstimate?.(estimate);
    }
    model = ledger ? await openModel(request) : undefined;
    if (ledger && (events?.onPaidPending || events?.onPendingOfGoneInputs)) {
      const paid = await paidPending(ledger, tasks, request.cwd);
      if (paid.count > 0) events.onPaidPending?.(paid.count);
      if (paid.gone.length > 0) events.onPendingOfGoneInputs?.(paid.gone);
    }
    const shared = ledger && request.connection ? sharedFolderOf(ledger, tasks, request.cwd) : undefined;
    if (shared && request.connection) {
      board = await listBoardOf(shared, request.connection);
      if (request.shard) split = await watchSplit(shared, request.connection, request.shard);
    }
    const context = { ...contextOf(request, events, ledger, model, board), recipes };
    return await runBatch(context, tasks, {
      concurrency: concurrencyOf(request),
      run: runTask,
      ...(events?.onResult ? { onResult: (r: TaskResult) => events.onResult?.(r) } : {}),
    });
  } finally {
    split?.stop();
    await split?.roll.close();
    await board?.close();
    await ledger?.close();
    await model?.save();
  }
}
