/**
 * Retry policies as data. A submit creates a paid task, so it retries only answers that
 * cannot have created one; reads (status polls, lists, downloads) are safe to repeat.
 */
import { parseRetryAfter } from './retry-after.js';

export interface RetryPolicy {
  readonly name: string;
  /** Total attempts, the first included. */
  readonly maxAttempts: number;
  /** HTTP statuses that are retried. */
  readonly retryStatuses: readonly number[];
  /** Which network failures are retried: all of them, or only those before a byte was sent. */
  readonly retryNetworkErrors: 'all' | 'connect-only';
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  /** A server's Retry-After is trusted up to this much. */
  readonly maxRetryAfterMs: number;
}

/** Submits: 429 and 503 mean "not accepted"; connection refused means nothing arrived. */
export const SUBMIT_POLICY: RetryPolicy = {
  name: 'submit',
  maxAttempts: 6,
  retryStatuses: [429, 503],
  retryNetworkErrors: 'connect-only',
  baseDelayMs: 1000,
  maxDelayMs: 30_000,
  maxRetryAfterMs: 120_000,
};

/** Status polls, list calls and downloads: safe to repeat, so also other 5xx and resets. */
export const READ_POLICY: RetryPolicy = {
  name: 'read',
  maxAttempts: 8,
  retryStatuses: [408, 425, 429, 500, 502, 503, 504],
  retryNetworkErrors: 'all',
  baseDelayMs: 500,
  maxDelayMs: 30_000,
  maxRetryAfterMs: 120_000,
};

/**
 * Milliseconds to wait before attempt `attempt + 1` (attempt counts from 1).
 * A valid Retry-After wins over backoff, capped, and never below half the backoff's step;
 * otherwise exponential backoff with full jitter above half the step, so many workers do not
 * retry in lockstep.
 */
export function retryDelayMs(
  policy: RetryPolicy,
  attempt: number,
  retryAfterHeader?: string | string[],
  random: () => number = Math.random,
  now: number = Date.now(),
): number {
  const step = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  const fromServer = parseRetryAfter(retryAfterHeader, now);
  // Never sooner than the backoff's least: a date in the past is "now", not "hammer away".
  if (fromServer !== undefined) return Math.min(Math.max(fromServer, step / 2), policy.maxRetryAfterMs);
  return Math.round(step / 2 + (random() * step) / 2);
}

/** Downloads: as safe as reads, but a result that keeps breaking should fail in seconds, not minutes. */
export const DOWNLOAD_POLICY: RetryPolicy = {
  ...READ_POLICY,
  name: 'download',
  maxAttempts: 6,
  maxDelayMs: 8000,
};
