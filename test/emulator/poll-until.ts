/** Shared by the emulator tests: wait on the emulator's clock without a fixed sleep. */
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Calls `fn` until `done` says yes (every `everyMs`); returns every value seen. */
export async function pollUntil<T>(
  fn: () => Promise<T>,
  done: (v: T) => boolean,
  timeoutMs = 3000,
  everyMs = 10,
): Promise<T[]> {
  const seen: T[] = [];
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    seen.push(v);
    if (done(v)) return seen;
    if (Date.now() > deadline) throw new Error(`timeout; last value ${JSON.stringify(v)}`);
    await sleep(everyMs);
  }
}
