/**
 * Runs many inputs with at most `concurrency` in flight. One input's failure never stops the
 * others; an abort stops starting new ones, and those already running end with ABORTED.
 */
import { FolderListings } from './naming.js';
import { DurationEstimate } from './poll.js';
import { type InputItem, runTask, type TaskResult, type TaskSettings } from './run-task.js';

export interface BatchOptions {
  readonly concurrency: number;
  /** Called as each input ends, in the order they end. */
  readonly onResult?: (result: TaskResult) => void;
  /** What to do with each item (default: runTask). */
  readonly run?: (settings: TaskSettings, item: InputItem) => Promise<TaskResult>;
}

export async function runBatch(
  settings: TaskSettings,
  items: readonly InputItem[],
  options: BatchOptions,
): Promise<TaskResult[]> {
  const results: TaskResult[] = new Array(items.length);
  // Like inputs take like times: what the first tasks took times the polls of the later ones.
  const shared: TaskSettings = {
    ...settings,
    durations: settings.durations ?? new DurationEstimate(),
    listings: settings.listings ?? new FolderListings(),
  };
  let next = 0;
  const worker = async () => {
    while (next < items.length && !settings.signal?.aborted) {
      const index = next++;
      const result = await (options.run ?? runTask)(shared, items[index]!);
      results[index] = result;
      options.onResult?.(result);
    }
  };
  const workers = Math.max(1, Math.min(options.concurrency, items.length));
  await Promise.all(Array.from({ length: workers }, worker));
  return results.filter((r) => r !== undefined);
}
