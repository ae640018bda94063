/** Error types the local provider rejects with, so callers can branch on `name`/`code`. */

/**
 * Rejected when the caller's AbortSignal fires. Checked between tiles: a tile
 * already inside the runtime finishes first (onnxruntime cannot be interrupted).
 */
export class LocalAbortError extends Error {
  override readonly name = 'AbortError';
  readonly code = 'ABORT_ERR';
  constructor(cause?: unknown) {
    super('The local upscale was aborted', cause === undefined ? undefined : { cause });
  }
}

/** Rejected when the inference runtime or the chosen model package is not installed. */
export class LocalEngineMissingError extends Error {
  override readonly name = 'LocalEngineMissingError';
  readonly code = 'ERR_LOCAL_ENGINE_MISSING';
  /** npm package names that could not be found. */
  readonly missing: string[];
  /** The exact command that installs them. */
  readonly hint: string;
  constructor(message: string, hint: string, missing: string[]) {
    super(`${message} Install with: ${hint}`);
    this.hint = hint;
    this.missing = missing;
  }
}

/** Rejected when the file given as `spoolTo` cannot be created or written (full disk, no permission…). */
export class LocalSpoolError extends Error {
  override readonly name = 'LocalSpoolError';
  readonly code = 'ERR_LOCAL_SPOOL';
  readonly hint = 'check the folder of the spool file, its permissions and free space';
  constructor(
    readonly path: string,
    cause: unknown,
  ) {
    super(`cannot write the local result to ${path}`, { cause });
  }
}

/** Throws {@link LocalAbortError} if `signal` has fired. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new LocalAbortError(signal.reason);
}
