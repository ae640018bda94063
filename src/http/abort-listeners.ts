/**
 * One `abort` listener per signal, however many sleeps, budget waits and requests wait on it. A
 * run hands one signal (Ctrl-C) to every task, and a batch has dozens of them waiting at once:
 * a listener each made Node print `MaxListenersExceededWarning` past ten. Here the first waiter
 * adds the signal's only listener, which calls every waiter still registered when it fires.
 */
const waitersOf = new WeakMap<AbortSignal, Set<() => void>>();

/** Calls `fn` once when `signal` aborts; returns the removal. Never adds a second listener to a signal. */
export function onAbort(signal: AbortSignal, fn: () => void): () => void {
  let waiters = waitersOf.get(signal);
  if (!waiters) {
    const created = new Set<() => void>();
    waiters = created;
    waitersOf.set(signal, created);
    signal.addEventListener(
      'abort',
      () => {
        for (const waiter of [...created]) waiter();
        created.clear();
      },
      { once: true },
    );
  }
  const own = waiters;
  own.add(fn);
  return () => {
    own.delete(fn);
  };
}

/**
 * A signal of its own for one request, aborted with `signal` (its reason kept). undici listens
 * on the signal it is given for as long as the request and its body last; given the run's, each
 * request in flight would add a listener there. `unlink` once the request is done.
 */
export function linkedSignal(signal: AbortSignal | undefined): {
  signal: AbortSignal | undefined;
  unlink: () => void;
} {
  if (!signal) return { signal: undefined, unlink: () => undefined };
  const own = new AbortController();
  if (signal.aborted) own.abort(signal.reason);
  const unlink = signal.aborted ? () => undefined : onAbort(signal, () => own.abort(signal.reason));
  return { signal: own.signal, unlink };
}
