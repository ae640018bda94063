import { describe, expect, it } from 'vitest';
import { isQuotaAnswer } from '../../src/http/client.js';
import { isConnectError } from '../../src/http/network-errors.js';
import { parseRetryAfter } from '../../src/http/retry-after.js';
import { READ_POLICY, retryDelayMs, SUBMIT_POLICY } from '../../src/http/retry-policy.js';

const now = Date.parse('2026-11-21T10:00:00Z');

describe('parseRetryAfter', () => {
  it.each([
    ['3', 3000],
    ['0', 0],
    ['1.5', 1500],
    ['Sat, 21 Nov 2026 10:00:05 GMT', 5000],
    ['Sat, 21 Nov 2026 09:59:00 GMT', 0],
    ['soon', undefined],
    ['', undefined],
    ['-1', undefined],
    ['1 2', undefined],
  ])('%s → %s', (header, ms) => {
    expect(parseRetryAfter(header, now)).toBe(ms);
  });
  it('reads the first of repeated headers and nothing from undefined', () => {
    expect(parseRetryAfter(['2', '9'], now)).toBe(2000);
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
  });
});

describe('retryDelayMs', () => {
  it('lets Retry-After win over backoff, capped', () => {
    expect(retryDelayMs(READ_POLICY, 1, '7', () => 0.5, now)).toBe(7000);
    expect(retryDelayMs(READ_POLICY, 1, '100000', () => 0.5, now)).toBe(READ_POLICY.maxRetryAfterMs);
  });
  it('backs off exponentially with jitter between half and the full step', () => {
    expect(retryDelayMs(READ_POLICY, 1, undefined, () => 0, now)).toBe(250);
    expect(retryDelayMs(READ_POLICY, 1, undefined, () => 1, now)).toBe(500);
    expect(retryDelayMs(READ_POLICY, 3, undefined, () => 1, now)).toBe(2000);
    expect(retryDelayMs(READ_POLICY, 20, undefined, () => 1, now)).toBe(READ_POLICY.maxDelayMs);
  });
  it('a Retry-After of 0 or a date in the past waits the backoff’s least, not nothing', () => {
    expect(retryDelayMs(READ_POLICY, 1, '0', () => 0.5, now)).toBe(250);
    expect(retryDelayMs(READ_POLICY, 3, 'Thu, 01 Jan 2015 00:00:00 GMT', () => 0.5, now)).toBe(1000);
  });
  it('falls back to backoff on a malformed Retry-After', () => {
    expect(retryDelayMs(SUBMIT_POLICY, 1, 'later', () => 1, now)).toBe(1000);
  });
  it('retries submits only on answers that cannot have created a task', () => {
    expect(SUBMIT_POLICY.retryStatuses).toEqual([429, 503]);
    expect(SUBMIT_POLICY.retryNetworkErrors).toBe('connect-only');
    expect(READ_POLICY.retryStatuses).toContain(502);
  });
});

describe('isConnectError', () => {
  it('walks the cause chain for connect codes', () => {
    const inner = Object.assign(new Error('refused'), { code: 'ECONNREFUSED' });
    expect(isConnectError(new Error('fetch failed', { cause: inner }))).toBe(true);
    expect(isConnectError(Object.assign(new Error('reset'), { code: 'ECONNRESET' }))).toBe(false);
  });
});

describe('isQuotaAnswer: the words are the caller’s, the headers the protocol’s', () => {
  const daily = 'Daily limit reached';
  it('reads no provider words itself: a 429 text is a quota only when the caller’s reader says so', () => {
    expect(isQuotaAnswer(429, {}, daily)).toBe(false);
    expect(isQuotaAnswer(429, {}, daily, undefined, (t) => t.startsWith('Daily'))).toBe(true);
    expect(isQuotaAnswer(429, {}, 'slow down', undefined, (t) => t.startsWith('Daily'))).toBe(false);
    expect(isQuotaAnswer(503, {}, daily, undefined, () => true)).toBe(false);
  });

  it('takes a reset far beyond the window for a quota whatever the text', () => {
    const headers = { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': '7200' };
    expect(isQuotaAnswer(429, headers, '', 60_000)).toBe(true);
    expect(isQuotaAnswer(429, { ...headers, 'x-ratelimit-reset': '30' }, '', 60_000)).toBe(false);
  });
});
