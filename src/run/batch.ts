/**
 * Runs many inputs with at most `concurrency` tasks in flight: an input holds its place until
 * the provider has finished its task (not until its result is written). One input's failure never
 * stops the others; an abort stops starting new ones, and those already running end with ABORTED.
 */
import type { Place, RunContext, TaskResult } from './task-types.js';

export interface BatchOptions<T> {
  readonly concurrency: number;
  /** Called as each input ends, in the order they end. */
  readonly onResult?: (result: TaskResult) => void;
  /** What to do with each input: runTask, or resuming a ledger entry. */
  readonly run: (context: RunContext, input: T, place: Place) => Promise<TaskResult>;
}

export async function runBatch<T>(
  context: RunContext,
  items: readonly T[],
  options: BatchOptions<T>,
): Promise<TaskResult[]> {
  const results: TaskResult[] = new Array(items.length);
  let next = 0;
  const { run } = options;
  // Inputs whose task is finished at the provider but whose result is still being fetched and
  // written: they hold no place, but each holds memory and a claim, so about as many of them as
  // places at most (a worker waits for one to end before it takes another input).
  const collecting = new Set<Promise<void>>();
  let broken: { error: unknown } | undefined;
  const worker = async () => {
    while (next < items.length && !context.signal?.aborted) {
      const index = next++;
      let placeBack!: () => void;
      const released = new Promise<'released'>((resolve) => {
        placeBack = () => resolve('released');
      });
      // `run` reports an input's failure as a result; should it throw, the batch still ends the
      // others, then rethrows (never an unhandled rejection from an input being collected).
      const ended = run(context, items[index]!, { release: placeBack }).then(
        (result) => {
          results[index] = result;
          options.onResult?.(result);
        },
        (error: unknown) => {
          broken ??= { error };
        },
      );
      if ((await Promise.race([ended.then(() => 'ended' as const), released])) === 'ended') continue;
      collecting.add(ended);
      void ended.then(() => collecting.delete(ended));
      while (collecting.size > options.concurrency) await Promise.race(collecting);
    }
  };
  const workers = Math.max(1, Math.min(options.concurrency, items.length));
  await Promise.all(Array.from({ length: workers }, worker));
  await Promise.all(collecting);
  if (broken) throw broken.error;
  return results.filter((r) => r !== undefined);
}
