/**
 * The one HTTP layer (undici). Retries follow a RetryPolicy; Retry-After is honoured;
 * every request and every sleep ends on the caller's AbortSignal; per-request timeouts
 * (connect, headers, body) are separate from a task's overall deadline.
 */
import type { Dispatcher } from 'undici';
import { UpscaleError } from '../errors.js';
import { isPassing, localFileErrorOf } from '../fs/fs-errors.js';
import { linkedSignal } from './abort-listeners.js';
import { farResetMs, type RequestBudget } from './budget.js';
import { abortReason, delay } from './delay.js';
import { encodeJsonBody, type JsonObject } from './json-body.js';
import { isConnectError, isNetworkError, networkErrorCode } from './network-errors.js';
import { RateGate } from './rate-gate.js';
import { parseRateLimitHeaders } from './rate-limit-headers.js';
import { redactLog } from './redact.js';
import { type RetryPolicy, retryDelayMs } from './retry-policy.js';

export interface HttpTimeouts {
  readonly connectMs: number;
  readonly headersMs: number;
  readonly bodyMs: number;
}

export const DEFAULT_TIMEOUTS: HttpTimeouts = { connectMs: 10_000, headersMs: 60_000, bodyMs: 60_000 };

export interface RetryEvent {
  readonly url: string;
  readonly attempt: number;
  readonly delayMs: number;
  readonly reason: string;
}

export interface HttpClientOptions {
  readonly dispatcher?: Dispatcher;
  readonly timeouts?: Partial<HttpTimeouts>;
  readonly onRetry?: (event: RetryEvent) => void;
  /** Request log for --verbose; secrets are replaced before a line is handed over. */
  readonly onLog?: (line: string) => void;
  readonly secrets?: readonly string[];
  readonly random?: () => number;
}

/** What every request says: where, how it is retried, what it is counted against, who hears of it. */
interface RequestBase {
  readonly url: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly policy: RetryPolicy;
  readonly signal?: AbortSignal | undefined;
  /** Counted against this request budget (API requests; not downloads from result URLs). */
  readonly budget?: RequestBudget;
  /** Read when budget slots free up: higher goes first. */
  readonly priority?: () => number;
  /** Told of every attempt sent (retries included), for per-input request counts. */
  readonly onSent?: () => void;
  /** The caller already took a budget slot for the first attempt (it chose what to send with it). */
  readonly prepaid?: boolean;
}

export interface JsonRequest extends RequestBase {
  readonly method: 'GET' | 'POST';
  readonly body?: JsonObject;
  /** An answer the caller takes as final although its status is retried (a provider's "task failed" 500). */
  readonly isFinal?: (status: number, text: string) => boolean;
  /**
   * The caller's reading of a 429's text: true when it says a daily or plan quota is spent (the
   * provider's words; this layer knows none). Such a 429 is final, not waited out.
   */
  readonly speaksOfQuota?: (text: string) => boolean;
}

/** An answer whose body the caller reads itself (a download). */
export interface StreamResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  /** undici's body: a Readable that can also be read whole (`text()`). */
  readonly body: Dispatcher.ResponseData['body'];
}

/**
 * A GET whose answer the caller reads (`read`). The status and network retries are the client's,
 * with `Retry-After`; an error `read` throws is retried too when `retryable` says so.
 */
export interface StreamRequest<T> extends RequestBase {
  /** Reads one answer (any status that is not retried); `last` when no attempt follows. */
  read(response: StreamResponse, last: boolean): Promise<T>;
  retryable(error: unknown): boolean;
}

/** A 429 that names a reset of 0 s still waits this long: the server's seconds are rounded. */
const MIN_429_PAUSE_MS = 250;

/**
 * True for a 429 that means a spent quota rather than a per-minute window (waiting will not help):
 * its reset is far beyond the rate window (`windowMs`, when known; see farResetMs), or its text
 * says so as the caller reads it (`speaksOfQuota`, the provider's words).
 */
export function isQuotaAnswer(
  status: number,
  headers: JsonResponse['headers'],
  text: string,
  windowMs?: number,
  speaksOfQuota?: (text: string) => boolean,
): boolean {
  if (status !== 429) return false;
  const info = parseRateLimitHeaders(headers);
  if (info.remaining === 0 && (info.resetMs ?? 0) > farResetMs(windowMs)) return true;
  return speaksOfQuota?.(text) ?? false;
}

export interface JsonResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly text: string;
  /** The parsed body, or undefined when it is not JSON. */
  readonly json: unknown;
  /** A 429 the client took for a spent quota (see isQuotaAnswer): not retried. */
  readonly quota?: boolean;
}

/** The body of an answer broke off while it was read. */
class BrokenAnswer extends Error {
  constructor(override readonly cause: unknown) {
    super('answer broke off');
  }
}

/** undici costs ~100 ms to import: loaded at the first request, so a run that sends none (-p local) never pays it. */
let undiciModule: Promise<typeof import('undici')> | undefined;
const loadUndici = () => (undiciModule ??= import('undici'));

export class HttpClient {
  /** The connection pool, made at the first request (or options.dispatcher). */
  private agent: Dispatcher | undefined;
  /** One gate per origin: after a 429 every request to that origin waits. */
  private readonly gates = new Map<string, RateGate>();
  private readonly options: HttpClientOptions;
  /** The per-request timeouts (a download's minimum pace is judged over `bodyMs`). */
  readonly timeouts: HttpTimeouts;

  constructor(options: HttpClientOptions = {}) {
    const timeouts = { ...DEFAULT_TIMEOUTS, ...options.timeouts };
    this.timeouts = timeouts;
    this.options = options;
    this.agent = options.dispatcher;
  }

  /**
   * Starts loading undici now, for a client that will send: the first request then waits for
   * nothing. A request whose budget was taken before it reached send() (status-hub's prepaid
   * polls) is dated by the budget then, so it must not wait for a slow import after that.
   */
  preload(): void {
    this.dispatcher().catch(() => undefined); // a failed import fails the first request instead
  }

  private async dispatcher(): Promise<Dispatcher> {
    if (this.agent) return this.agent;
    const { Agent } = await loadUndici();
    const timeouts = this.timeouts;
    this.agent ??= new Agent({
      connect: { timeout: timeouts.connectMs },
      headersTimeout: timeouts.headersMs,
      // undici's request() never follows redirects, so a key cannot be re-sent to another host.
      bodyTimeout: timeouts.bodyMs,
    });
    return this.agent;
  }

  log(line: string): void {
    this.options.onLog?.(redactLog(line, this.options.secrets ?? []));
  }

  /** Sends a JSON request and returns the final answer (any status); retries per policy. */
  async json(req: JsonRequest): Promise<JsonResponse> {
    const body = req.body ? encodeJsonBody(req.body) : undefined;
    const headers: Record<string, string> = { accept: 'application/json', ...req.headers };
    if (body) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = String(body.length);
    }
    try {
      return await this.send(req, req.method, headers, () => (body ? body.chunks() : null), {
        // Read when it may be final (it is small): a daily quota or a "task failed" is not retried.
        final: async (status, response) => {
          if (status !== 429 && req.isFinal === undefined) return undefined;
          const text = await response.body.text().catch(() => '');
          const quota = isQuotaAnswer(
            status,
            response.headers,
            text,
            req.budget?.limit.windowMs,
            req.speaksOfQuota,
          );
          if (quota || req.isFinal?.(status, text))
            return {
              status,
              headers: response.headers,
              text,
              json: parseJson(text),
              ...(quota ? { quota } : {}),
            };
          return null;
        },
        read: async (response) => {
          let text: string;
          try {
            text = await response.body.text();
          } catch (error) {
            throw new BrokenAnswer(error);
          }
          return { status: response.status, headers: response.headers, text, json: parseJson(text) };
        },
        // The answer broke off: for a read we try again, for a submit the caller decides.
        retryable: (error) => error instanceof BrokenAnswer && req.policy.retryNetworkErrors === 'all',
      });
    } catch (error) {
      throw error instanceof BrokenAnswer ? wrapNetworkError(error.cause, req.url) : error;
    }
  }

  /** A GET whose body `req.read` takes (downloads): the same retries, gate, events and log as `json()`. */
  stream<T>(req: StreamRequest<T>): Promise<T> {
    return this.send(req, 'GET', { ...req.headers }, () => null, {
      final: async () => undefined,
      read: (response, last) => req.read(response, last),
      retryable: (error) => req.retryable(error),
    });
  }

  /** The gate of the URL's origin: a 429 from the API host does not hold up downloads elsewhere. */
  private gateOf(url: string): RateGate {
    const origin = safeOrigin(url);
    let gate = this.gates.get(origin);
    if (!gate) {
      gate = new RateGate();
      this.gates.set(origin, gate);
    }
    return gate;
  }

  /**
   * The one retry loop: gate, budget, send; a network failure or a retried status waits
   * (`Retry-After` first) and tries again; any other answer is `read`, whose errors are retried
   * when `retryable` says so. `final` may take a retried status as the answer (null: retry it).
   */
  private async send<T>(
    req: RequestBase,
    method: 'GET' | 'POST',
    headers: Record<string, string>,
    body: () => AsyncIterable<Buffer | string> | null,
    handle: {
      final(status: number, response: Dispatcher.ResponseData<unknown>): Promise<T | null | undefined>;
      read(response: StreamResponse, last: boolean): Promise<T>;
      retryable(error: unknown): boolean;
    },
  ): Promise<T> {
    // Loaded before the budget is asked: the budget dates a request when it lets it go, and the
    // first import's delay would put it on the wire later than counted (a late request can make
    // the server's window hold one more than the budget's).
    const { request } = await loadUndici();
    const dispatcher = await this.dispatcher();
    const gate = this.gateOf(req.url);
    for (let attempt = 1; ; attempt++) {
      await gate.wait(req.signal);
      if (!(req.prepaid && attempt === 1)) await req.budget?.acquire(req.priority, req.signal);
      if (req.signal?.aborted) throw abortReason(req.signal);
      req.onSent?.();
      const started = Date.now();
      // undici listens on its signal until the answer is read: one of its own, not the run's.
      const linked = linkedSignal(req.signal);
      let response: Dispatcher.ResponseData<unknown>;
      try {
        response = await request(req.url, {
          method,
          headers,
          body: body(),
          dispatcher,
          signal: linked.signal,
        } as Parameters<typeof request>[1]);
      } catch (error) {
        linked.unlink();
        if (req.signal?.aborted) throw abortReason(req.signal);
        // The body streams a file that could not be read (the open-file limit met, the file gone):
        // the request broke off before its end, so the server took nothing from it. Tried again
        // while the cause passes; then thrown as the file's error, never as the network's.
        const unread = localFileErrorOf(error);
        if (unread) {
          this.log(`${method} ${req.url} → not sent (${unread.code}: ${unread.path})`);
          req.budget?.unanswered();
          if (!isPassing(unread) || attempt >= req.policy.maxAttempts) throw unread;
          await this.pauseBeforeRetry(req, attempt, undefined, `${unread.code} reading the body`);
          continue;
        }
        const retryable =
          isNetworkError(error) && (req.policy.retryNetworkErrors === 'all' || isConnectError(error));
        this.log(`${method} ${req.url} → ${networkErrorCode(error) ?? (error as Error).message}`);
        // A host that does not resolve or refuses connections gets one quick second try, not a
        // minute of backoff: nothing reached it, and the user should hear so at once.
        const attempts = isConnectError(error) ? Math.min(2, req.policy.maxAttempts) : req.policy.maxAttempts;
        req.budget?.unanswered();
        if (!retryable || attempt >= attempts) throw wrapNetworkError(error, req.url);
        await this.pauseBeforeRetry(req, attempt, undefined, networkErrorCode(error) ?? 'network error');
        continue;
      }
      const status = response.statusCode;
      this.log(`${method} ${req.url} → ${status} (${Date.now() - started} ms)`);
      const rateInfo = parseRateLimitHeaders(response.headers);
      req.budget?.observe(rateInfo, started);
      const last = attempt >= req.policy.maxAttempts;
      if (req.policy.retryStatuses.includes(status) && !last) {
        const final = await handle.final(status, response);
        // Free the socket before sleeping: an unread body keeps the connection busy.
        if (final === undefined) await response.body.dump().catch(() => undefined);
        linked.unlink();
        if (final) return final;
        const retryAfter = response.headers['retry-after'];
        if (status === 429) {
          // Everyone stops at once, not each worker after its own 429: until the server's reset
          // when it names one (shared by every request of the key), else by the backoff.
          const backoff = retryDelayMs(req.policy, attempt, retryAfter, this.options.random);
          const pause =
            retryAfter === undefined && rateInfo.resetMs !== undefined
              ? Math.min(req.policy.maxRetryAfterMs, Math.max(MIN_429_PAUSE_MS, rateInfo.resetMs))
              : backoff;
          gate.pause(pause);
          req.budget?.throttled(pause);
        }
        await this.pauseBeforeRetry(req, attempt, retryAfter, `HTTP ${status}`);
        continue;
      }
      try {
        return await handle.read({ status, headers: response.headers, body: response.body }, last);
      } catch (error) {
        if (req.signal?.aborted) throw abortReason(req.signal);
        if (last || !handle.retryable(error)) throw error;
        const reason = error instanceof BrokenAnswer ? 'answer broke off' : (error as Error).message;
        await this.pauseBeforeRetry(req, attempt, undefined, reason);
      } finally {
        linked.unlink();
      }
    }
  }

  private async pauseBeforeRetry(
    req: RequestBase,
    attempt: number,
    retryAfter: string | string[] | undefined,
    reason: string,
  ): Promise<number> {
    const delayMs = retryDelayMs(req.policy, attempt, retryAfter, this.options.random);
    this.options.onRetry?.({ url: redactLog(req.url, this.options.secrets ?? []), attempt, delayMs, reason });
    await delay(delayMs, req.signal);
    return delayMs;
  }

  async close(): Promise<void> {
    if (this.agent && !this.options.dispatcher) await this.agent.close();
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

const UNREACHABLE_WHY: Readonly<Record<string, string>> = {
  ENOTFOUND: 'the name does not resolve',
  EAI_AGAIN: 'the name could not be resolved now',
  ECONNREFUSED: 'the connection was refused',
  EHOSTUNREACH: 'no route to the host',
  ENETUNREACH: 'no network',
  UND_ERR_CONNECT_TIMEOUT: 'the connection timed out',
};

/**
 * A network failure as an UpscaleError; `cause` keeps the undici error for isConnectError. A
 * failure to connect is UNREACHABLE: nothing reached the server.
 */
export function wrapNetworkError(error: unknown, url: string): UpscaleError {
  const host = safeHost(url);
  const code = networkErrorCode(error);
  const what = code ?? (error instanceof Error ? error.message : String(error));
  if (isConnectError(error)) {
    return new UpscaleError(
      'UNREACHABLE',
      `cannot reach ${host} (${what}: ${UNREACHABLE_WHY[code ?? ''] ?? 'no connection'})`,
      {
        cause: error,
        hint: 'check the network connection and --base-url; nothing was sent',
      },
    );
  }
  return new UpscaleError('NETWORK', `could not reach ${host} (${what})`, {
    cause: error,
    hint: 'check the network connection and the base URL, then run the same command again',
  });
}

function safeOrigin(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return url;
  }
}

export function safeHost(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}
