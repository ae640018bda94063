/**
 * What a server says about its request budget: `X-RateLimit-Limit/Remaining/Reset` (Freepik and
 * Magnific were seen sending these), or the IETF drafts `RateLimit-Policy` / `RateLimit` in their
 * older (`limit=…, remaining=…, reset=…`) and newer (`"name";r=…;t=…`, `q=…;w=…`) forms. Pure.
 */

export interface RateLimitInfo {
  /** Requests allowed per window, when said. */
  readonly limit?: number;
  /** The window in ms, when said (only the drafts say it). */
  readonly windowMs?: number;
  /** Requests left now, when said. */
  readonly remaining?: number;
  /** Ms until the budget frees up (X-RateLimit-Reset: seconds, or an epoch time), when said. */
  readonly resetMs?: number;
}

type Headers = Readonly<Record<string, string | string[] | undefined>>;

function header(headers: Headers, name: string): string | undefined {
  const value = headers[name] ?? headers[name.toLowerCase()];
  const text = Array.isArray(value) ? value[0] : value;
  return text?.trim() || undefined;
}

function number(text: string | undefined): number | undefined {
  if (text === undefined || !/^\d+(\.\d+)?$/.test(text)) return undefined;
  return Number(text);
}

/** Seconds, or (large values) an epoch in seconds or ms: either way, ms from `now`. */
function resetToMs(seconds: number | undefined, now: number): number | undefined {
  if (seconds === undefined) return undefined;
  if (seconds > 1e12) return Math.max(0, seconds - now);
  if (seconds > 1e9) return Math.max(0, seconds * 1000 - now);
  return seconds * 1000;
}

/** `key=value` or `key;param=value` pairs out of a draft header, by name. */
function params(text: string | undefined): Map<string, number> {
  const found = new Map<string, number>();
  for (const part of (text ?? '').split(/[;,]/)) {
    const [key, value] = part.split('=').map((s) => s.trim());
    const n = number(value?.replace(/^"|"$/g, ''));
    if (key && n !== undefined) found.set(key.toLowerCase(), n);
  }
  return found;
}

/**
 * The most a header may say before it is taken for garbage: values past these drive no timer
 * (a reset of 99999999999 s overflowed setTimeout into a 1 ms loop, a limit of 0.5 or a remaining
 * of -3 were believed).
 */
const MAX_LIMIT = 1_000_000;
const MAX_RESET_MS = 400 * 86_400_000;
const MAX_WINDOW_MS = 31 * 86_400_000;

/** A count: a whole number within 0..max, else undefined. */
function count(n: number | undefined, min: number, max: number): number | undefined {
  return n !== undefined && Number.isInteger(n) && n >= min && n <= max ? n : undefined;
}

/** A duration in ms: finite, within 0..max, else undefined. */
function span(ms: number | undefined, max: number): number | undefined {
  return ms !== undefined && Number.isFinite(ms) && ms >= 0 && ms <= max ? ms : undefined;
}

export function parseRateLimitHeaders(headers: Headers, now: number = Date.now()): RateLimitInfo {
  const limit = number(header(headers, 'x-ratelimit-limit'));
  const remaining = number(header(headers, 'x-ratelimit-remaining'));
  const reset = number(header(headers, 'x-ratelimit-reset'));
  const policy = params(header(headers, 'ratelimit-policy'));
  const draft = params(header(headers, 'ratelimit'));
  const info: { -readonly [K in keyof RateLimitInfo]: RateLimitInfo[K] } = {};
  const pick = (...values: (number | undefined)[]) => values.find((v) => v !== undefined);
  const l = count(
    pick(limit, draft.get('limit'), policy.get('q'), firstBare(header(headers, 'ratelimit-policy'))),
    1,
    MAX_LIMIT,
  );
  const windowSeconds = pick(policy.get('w'), draft.get('w'));
  const w = windowSeconds === undefined ? undefined : span(windowSeconds * 1000, MAX_WINDOW_MS);
  const r = count(pick(remaining, draft.get('remaining'), draft.get('r')), 0, MAX_LIMIT);
  const t = span(resetToMs(pick(reset, draft.get('reset'), draft.get('t')), now), MAX_RESET_MS);
  if (l !== undefined) info.limit = l;
  if (w !== undefined && w > 0) info.windowMs = w;
  if (r !== undefined) info.remaining = r;
  if (t !== undefined) info.resetMs = t;
  return info;
}

/** The older draft's `RateLimit-Policy: 50;w=60` starts with the bare limit. */
function firstBare(text: string | undefined): number | undefined {
  return number(text?.split(/[;,]/)[0]?.trim());
}
