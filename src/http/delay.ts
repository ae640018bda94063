import { onAbort } from './abort-listeners.js';

/**
 * The longest a Node timer can wait: longer ones fire after 1 ms (a TimeoutOverflowWarning),
 * which turned a far reset into a busy loop. Longer sleeps are several of these.
 */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** A sleep that ends early, with an AbortError, when the signal aborts (Ctrl-C, overall timeout). */
export async function delay(ms: number, signal?: AbortSignal): Promise<void> {
  let left = Number.isFinite(ms) ? ms : MAX_TIMER_MS;
  do {
    const step = Math.min(left, MAX_TIMER_MS);
    await sleep(step, signal);
    left -= step;
  } while (left > 0);
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(abortReason(signal));
      return;
    }
    const timer = setTimeout(
      () => {
        off?.();
        resolve();
      },
      Math.max(0, ms),
    );
    // Through the signal's one listener: a batch has dozens of sleeps on the run's signal.
    const off =
      signal &&
      onAbort(signal, () => {
        clearTimeout(timer);
        reject(abortReason(signal));
      });
  });
}

/** The signal's reason when it is an Error, else a DOMException named AbortError. */
export function abortReason(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  return reason instanceof Error ? reason : new DOMException('The operation was aborted', 'AbortError');
}
