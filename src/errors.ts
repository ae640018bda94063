/**
 * Every error the library raises carries a stable `code` (for scripts and `--json`),
 * a one-line `message` naming the file or flag, and a `hint` saying what to do.
 */
export type ErrorCode =
  | 'USAGE'
  | 'MISSING_KEY'
  | 'CONFIG'
  | 'INPUT_NOT_FOUND'
  | 'INPUT_UNREADABLE'
  | 'NOT_AN_IMAGE'
  | 'IMAGE_TOO_LARGE'
  | 'IMAGE_TOO_SMALL'
  | 'UNSUPPORTED_INPUT'
  | 'OUTPUT_CLASH'
  | 'OUTPUT_UNWRITABLE'
  | 'AUTH'
  | 'PAYMENT_REQUIRED'
  | 'RATE_LIMITED'
  | 'DAILY_LIMIT'
  | 'REJECTED'
  | 'HTTP'
  | 'UNKNOWN_ENDPOINT'
  | 'NETWORK'
  | 'UNREACHABLE'
  | 'BAD_RESPONSE'
  | 'SUBMIT_UNCERTAIN'
  | 'TASK_MISMATCH'
  | 'EMPTY_RESULT'
  | 'NOT_SUBMITTED'
  | 'LEDGER_CONFLICT'
  | 'LEDGER_UNREADABLE'
  | 'RECIPE_CONFLICT'
  | 'OUTPUT_FOLDER_UNWRITABLE'
  | 'TASK_FAILED'
  | 'TASK_NOT_FOUND'
  | 'TIMEOUT'
  | 'DOWNLOAD'
  | 'ABORTED'
  | 'COST_LIMIT'
  | 'LOCAL_ENGINE'
  | 'INTERNAL';

/** Codes that mean "the user asked for something impossible": nothing was sent, exit 2. */
const USAGE_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'USAGE',
  'MISSING_KEY',
  'CONFIG',
  'OUTPUT_CLASH',
  'OUTPUT_FOLDER_UNWRITABLE',
  'RECIPE_CONFLICT',
  'COST_LIMIT',
]);

/** Codes raised by the pre-check of one input: that input is refused before any byte is sent. */
const PRECHECK_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  // The provider's host could not be reached at all: nothing was sent either.
  'UNREACHABLE',
  'INPUT_NOT_FOUND',
  'INPUT_UNREADABLE',
  'NOT_AN_IMAGE',
  'IMAGE_TOO_LARGE',
  'IMAGE_TOO_SMALL',
  'UNSUPPORTED_INPUT',
  // The local engine lacks the runtime or model an input needs: nothing ran.
  'LOCAL_ENGINE',
]);

/**
 * Answers about the key, the account or the endpoint, not about one input: every other input of
 * the run would meet the same one, so a run stops submitting at the first (nothing was made).
 */
const ACCOUNT_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'AUTH',
  'PAYMENT_REQUIRED',
  'UNKNOWN_ENDPOINT',
]);

/**
 * True when no input of the run can be sent after this error: the account's answers, a spent
 * daily quota, a host out of reach.
 */
export function stopsSubmitting(code: string): boolean {
  return ACCOUNT_CODES.has(code as ErrorCode) || code === 'DAILY_LIMIT' || code === 'UNREACHABLE';
}

export interface UpscaleErrorOptions {
  hint?: string | undefined;
  cause?: unknown;
  status?: number | undefined;
  /** The provider's id for the request behind this error (for its support), when it sent one. */
  requestId?: string | undefined;
}

export class UpscaleError extends Error {
  override readonly name = 'UpscaleError';
  readonly code: ErrorCode;
  readonly hint: string | undefined;
  /** HTTP status of the provider answer behind this error, when there was one. */
  readonly status: number | undefined;
  /** The provider's request id for that answer, when it sent one. */
  readonly requestId: string | undefined;

  constructor(code: ErrorCode, message: string, options: UpscaleErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.hint = options.hint;
    this.status = options.status;
    this.requestId = options.requestId;
  }

  /** True when the error is a usage or configuration problem found before sending anything. */
  get isUsage(): boolean {
    return USAGE_CODES.has(this.code);
  }

  /** True when the error comes from checking an input before it was sent. */
  get isPrecheck(): boolean {
    return PRECHECK_CODES.has(this.code);
  }
}

/** True when an error with this code means the input was refused before anything was sent. */
export function isRefusedBeforeSending(code: string): boolean {
  return USAGE_CODES.has(code as ErrorCode) || PRECHECK_CODES.has(code as ErrorCode);
}

export function usageError(message: string, hint?: string): UpscaleError {
  return new UpscaleError('USAGE', message, { hint });
}

/** True for the error an aborted signal produces, whatever layer threw it. */
export function isAbortError(error: unknown): boolean {
  if (error instanceof UpscaleError) return error.code === 'ABORTED';
  return error instanceof Error && (error.name === 'AbortError' || error.name === 'TimeoutError');
}

/**
 * Wraps anything thrown into an UpscaleError so reporters have a code and a message. What no
 * layer turned into an UpscaleError is a bug of ours: INTERNAL, with a plea to report it.
 */
export function toUpscaleError(error: unknown, fallback: ErrorCode = 'INTERNAL'): UpscaleError {
  if (error instanceof UpscaleError) return error;
  if (isAbortError(error)) return new UpscaleError('ABORTED', 'interrupted', { cause: error });
  const message = error instanceof Error ? error.message : String(error);
  return new UpscaleError(fallback, message, {
    cause: error,
    ...(fallback === 'INTERNAL'
      ? { hint: 'this is a bug in upscale: please report it with the output of --verbose (keys are hidden)' }
      : {}),
  });
}

/**
 * `error` and the errors it wraps (`cause`), outermost first: where an OS or network code may sit
 * under a library's error. At most five deep, so a cycle or a long chain ends there.
 */
export function causeChain(error: unknown): Error[] {
  const chain: Error[] = [];
  for (let current = error; chain.length < 5 && current instanceof Error; current = current.cause)
    chain.push(current);
  return chain;
}
