/**
 * The one HTTP layer (undici). Retries follow a RetryPolicy; Retry-After is honoured;
 * every request and every sleep ends on the caller's AbortSignal; per-request timeouts
 * (connect, headers, body) are separate from a task's overall deadline.
 */
import { Agent, type Dispatcher, request } from 'undici';
import { UpscaleError } from '../errors.js';
import type { RequestBudget } from './budget.js';
import { abortReason, delay } from './delay.js';
import { encodeJsonBody, type JsonObject } from './json-body.js';
import { isConnectError, isNetworkError, networkErrorCode } from './network-errors.js';
import { RateGate } from './rate-gate.js';
import { parseRateLimitHeaders } from './rate-limit-headers.js';
import { redact } from './redact.js';
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
  readonly gate?: RateGate;
  readonly onRetry?: (event: RetryEvent) => void;
  /** Request log for --verbose; secrets are replaced before a line is handed over. */
  readonly onLog?: (line: string) => void;
  readonly secrets?: readonly string[];
  readonly random?: () => number;
}

export interface JsonRequest {
  readonly url: string;
  readonly method: 'GET' | 'POST';
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: JsonObject;
  readonly policy: RetryPolicy;
  readonly signal?: AbortSignal;
  /** Counted against this request budget (API requests; not downloads). */
  readonly budget?: RequestBudget;
  /** Read when budget slots free up: higher goes first. */
  readonly priority?: () => number;
  /** Told of every attempt sent (retries included), for per-input request counts. */
  readonly onSent?: () => void;
  /** The caller already took a budget slot for the first attempt (it chose what to send with it). */
  readonly prepaid?: boolean;
  /** An answer the caller takes as final although its status is retried (a provider's "task failed" 500). */
  readonly isFinal?: (status: number, text: string) => boolean;
}

/** A 429 that means a daily or plan quota rather than a per-minute window: waiting will not help. */
const QUOTA_TEXT = /dai|day|quota|plan|month/i;
const QUOTA_RESET_MS = 15 * 60_000;

export function isQuotaAnswer(status: number, headers: JsonResponse['headers'], text: string): boolean {
  if (status !== 429) return false;
  const info = parseRateLimitHeaders(headers);
  if (info.remaining === 0 && (info.resetMs ?? 0) > QUOTA_RESET_MS) return true;
  return QUOTA_TEXT.test(text);
}

export interface JsonResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly text: string;
  /** The parsed body, or undefined when it is not JSON. */
  readonly json: unknown;
}

export class HttpClient {
  readonly dispatcher: Dispatcher;
  readonly gate: RateGate;
  private readonly options: HttpClientOptions;

  constructor(options: HttpClientOptions = {}) {
    const timeouts = { ...DEFAULT_TIMEOUTS, ...options.timeouts };
    this.options = options;
    this.gate = options.gate ?? new RateGate();
    this.dispatcher =
      options.dispatcher ??
      new Agent({
        connect: { timeout: timeouts.connectMs },
        headersTimeout: timeouts.headersMs,
        // undici's request() never follows redirects, so a key cannot be re-sent to another host.
        bodyTimeout: timeouts.bodyMs,
      });
  }

  /** Tells the listener about a retry made outside `json()` (downloads). */
  notifyRetry(event: RetryEvent): void {
    this.options.onRetry?.({ ...event, url: redact(event.url, this.options.secrets ?? []) });
  }

  log(line: string): void {
    this.options.onLog?.(redact(line, this.options.secrets ?? []));
  }

  /** Sends a JSON request and returns the final answer (any status); retries per policy. */
  async json(req: JsonRequest): Promise<JsonResponse> {
    const body = req.body ? encodeJsonBody(req.body) : undefined;
    const headers: Record<string, string> = { accept: 'application/json', ...req.headers };
    if (body) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = String(body.length);
    }
    for (let attempt = 1; ; attempt++) {
      await this.gate.wait(req.signal);
      if (!(req.prepaid && attempt === 1)) await req.budget?.acquire(req.priority, req.signal);
      if (req.signal?.aborted) throw abortReason(req.signal);
      req.onSent?.();
      const started = Date.now();
      let response: Dispatcher.ResponseData<unknown>;
      try {
        response = await request(req.url, {
          method: req.method,
          headers,
          body: body ? body.chunks() : null,
          dispatcher: this.dispatcher,
          signal: req.signal,
        } as Parameters<typeof request>[1]);
      } catch (error) {
        if (req.signal?.aborted) throw abortReason(req.signal);
        const retryable =
          isNetworkError(error) && (req.policy.retryNetworkErrors === 'all' || isConnectError(error));
        this.log(`${req.method} ${req.url} → ${networkErrorCode(error) ?? (error as Error).message}`);
        // A host that does not resolve or refuses connections gets one quick second try, not a
        // minute of backoff: nothing reached it, and the user should hear so at once.
        const attempts = isConnectError(error) ? Math.min(2, req.policy.maxAttempts) : req.policy.maxAttempts;
        if (!retryable || attempt >= attempts) throw wrapNetworkError(error, req.url);
        await this.pauseBeforeRetry(req, attempt, undefined, networkErrorCode(error) ?? 'network error');
        continue;
      }
      const status = response.statusCode;
      this.log(`${req.method} ${req.url} → ${status} (${Date.now() - started} ms)`);
      req.budget?.observe(parseRateLimitHeaders(response.headers));
      if (req.policy.retryStatuses.includes(status) && attempt < req.policy.maxAttempts) {
        // Read when it may be final (it is small): a daily quota or a "task failed" is not retried.
        const read = status === 429 || req.isFinal !== undefined;
        const text = read ? await response.body.text().catch(() => '') : '';
        if (isQuotaAnswer(status, response.headers, text) || req.isFinal?.(status, text)) {
          return { status, headers: response.headers, text, json: parseJson(text) };
        }
        // Free the socket before sleeping: an unread body keeps the connection busy.
        if (!read) await response.body.dump().catch(() => undefined);
        const retryAfter = response.headers['retry-after'];
        if (status === 429) {
          // Everyone stops at once, not each worker after its own 429.
          const pause = retryDelayMs(req.policy, attempt, retryAfter, this.options.random);
          this.gate.pause(pause);
          req.budget?.pause(pause);
        }
        await this.pauseBeforeRetry(req, attempt, retryAfter, `HTTP ${status}`);
        continue;
      }
      let text: string;
      try {
        text = await response.body.text();
      } catch (error) {
        if (req.signal?.aborted) throw abortReason(req.signal);
        // The answer broke off: for a read we try again, for a submit the caller decides.
        if (req.policy.retryNetworkErrors === 'all' && attempt < req.policy.maxAttempts) {
          await this.pauseBeforeRetry(req, attempt, undefined, 'answer broke off');
          continue;
        }
        throw wrapNetworkError(error, req.url);
      }
      return { status, headers: response.headers, text, json: parseJson(text) };
    }
  }

  private async pauseBeforeRetry(
    req: JsonRequest,
    attempt: number,
    retryAfter: string | string[] | undefined,
    reason: string,
  ): Promise<number> {
    const delayMs = retryDelayMs(req.policy, attempt, retryAfter, this.options.random);
    this.options.onRetry?.({ url: req.url, attempt, delayMs, reason });
    await delay(delayMs, req.signal);
    return delayMs;
  }

  async close(): Promise<void> {
    if (!this.options.dispatcher) await this.dispatcher.close();
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

export function safeHost(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}
