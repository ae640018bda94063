import { onAbort } from './abort-listeners.js';

/** A sleep that ends early, with an AbortError, when the signal aborts (Ctrl-C, overall timeout). */
export function delay(ms: number, signal?: AbortSignal): Promise<void> {
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
