/**
 * stdout and stderr that close under a running command: a reader that left (`upscale --json |
 * head -1`: EPIPE), a terminal that went away (a closed window, a dropped ssh: EIO). Neither is
 * a crash. A closed stdout stops a run that is sending (what it would print has no reader; what
 * was paid stays in the ledger); a closed stderr changes nothing but who reads the messages.
 */

/** The errors of a stream whose other end is gone. */
const GONE = new Set(['EPIPE', 'EIO', 'ECONNRESET', 'ERR_STREAM_DESTROYED']);

let closed = false;
const listeners = new Set<() => void>();

/** Installs the handlers, once, before anything is written. */
export function guardStdio(): void {
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (!GONE.has(error.code ?? '')) throw error;
    if (closed) return;
    closed = true;
    // A run that sends is told (it stops and says what is pending); anything else has no more
    // data to give: it ends with the code it has.
    if (listeners.size > 0) for (const listener of listeners) listener();
    else process.exit(process.exitCode ?? 0);
  });
  // Messages with nowhere to go: the run goes on, its data and its ledger are not touched.
  process.stderr.on('error', () => undefined);
}

/** `run` is called once stdout's reader is gone (at once if it already is); returns its remover. */
export function whenStdoutCloses(run: () => void): () => void {
  listeners.add(run);
  if (closed) run();
  return () => listeners.delete(run);
}

export function stdoutClosed(): boolean {
  return closed;
}
