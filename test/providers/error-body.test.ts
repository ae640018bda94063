/** One reader for every error body the providers send, and one line with a hint by cause. */
import { describe, expect, it } from 'vitest';
import { errorSentence, readErrorBody, speaksOfQuota } from '../../src/providers/error-body.js';
import { freepikCreative } from '../../src/providers/freepik-creative.js';
import { novita } from '../../src/providers/novita.js';
import { errorFor, finalTaskFailure, flagForField } from '../../src/run/provider-errors.js';

describe('readErrorBody + errorSentence', () => {
  it.each([
    [{ message: 'Invalid API key' }, 'Invalid API key'],
    [{ detail: 'Not enough credits' }, 'Not enough credits'],
    [
      {
        message: "Your request parameters didn't validate.",
        invalid_params: [{ name: 'scale_factor', reason: 'bad' }],
      },
      "Your request parameters didn't validate. (scale_factor: bad)",
    ],
    [
      { problem: { message: 'Invalid', invalid_params: [{ field: 'engine', reason: 'unknown engine' }] } },
      'Invalid (engine: unknown engine)',
    ],
    [
      { error: { message: 'Insufficient credits', type: 'payment_required' } },
      'Insufficient credits (payment_required)',
    ],
    [{ error: 'Unauthorized', message: 'Invalid API key' }, 'Invalid API key'],
    [
      { code: 400, reason: 'BILLING_BALANCE_NOT_ENOUGH', message: 'Insufficient balance', metadata: {} },
      'Insufficient balance (BILLING_BALANCE_NOT_ENOUGH)',
    ],
    [{ code: 403, reason: '', message: 'key not valid', metadata: {} }, 'key not valid'],
    [
      { detail: [{ loc: ['body', 'scale_factor'], msg: 'must be 2x..16x' }] },
      'invalid parameters (scale_factor: must be 2x..16x)',
    ],
    [{ code: 500, reason: 'TASK_FAILED', message: '' }, 'TASK_FAILED'],
    ['<html>oops</html>', undefined],
    [null, undefined],
  ])('%j → %s', (json, sentence) => {
    expect(errorSentence(readErrorBody(json))).toBe(sentence);
  });
});

describe('errorFor: the code and hint follow the cause', () => {
  const res = (status: number, json: unknown) => ({ status, headers: {}, text: JSON.stringify(json), json });
  it.each([
    [
      novita,
      400,
      { code: 400, reason: 'BILLING_BALANCE_NOT_ENOUGH', message: 'Insufficient balance', metadata: {} },
      'PAYMENT_REQUIRED',
      /top up/,
    ],
    [
      novita,
      403,
      { code: 403, reason: 'INVALID_API_KEY', message: 'invalid key', metadata: {} },
      'AUTH',
      /NOVITA_API_KEY/,
    ],
    [freepikCreative, 402, { message: 'Payment required' }, 'PAYMENT_REQUIRED', /top up/],
    [freepikCreative, 401, { message: 'Invalid API key' }, 'AUTH', /FREEPIK_API_KEY/],
    [
      freepikCreative,
      400,
      {
        message: "didn't validate",
        invalid_params: [
          { name: 'optimized_for', reason: 'bad' },
          { name: 'scale_factor', reason: 'bad' },
        ],
      },
      'REJECTED',
      /check --optimized-for, --scale against `upscale providers`/,
    ],
    // A submit's path is fixed: its 404 is a wrong API root (a status request's is a missing task, below).
    [
      freepikCreative,
      404,
      { message: 'Not found' },
      'UNKNOWN_ENDPOINT',
      /check --base-url or UPSCALE_FREEPIK_BASE_URL/,
    ],
    [freepikCreative, 503, { message: 'down' }, 'HTTP', /later/],
    // Issue 23, item 3: a 5xx means what its status says, whatever its words (the task may exist).
    [freepikCreative, 500, { message: 'Internal error: billing service timeout' }, 'HTTP', /later/],
    [freepikCreative, 502, { message: 'upstream said: invalid api key' }, 'HTTP', /later/],
    [
      novita,
      500,
      { code: 500, reason: 'BILLING_BALANCE_NOT_ENOUGH', message: 'billing down', metadata: {} },
      'HTTP',
      /later/,
    ],
  ])('%s HTTP %d %j → %s', (provider, status, json, code, hint) => {
    const error = errorFor(provider as never, 'https://api.example.com', res(status, json), 'submit');
    expect(error.code).toBe(code);
    expect(error.hint).toMatch(hint);
    expect(error.message.split('\n')).toHaveLength(1);
  });

  it('a 404 to a status request is a task the provider does not know', () => {
    const error = errorFor(
      freepikCreative,
      'https://api.example.com',
      res(404, { message: 'Not found' }),
      'status request',
    );
    expect(error.code).toBe('TASK_NOT_FOUND');
    expect(error.hint).toMatch(/task id/);
  });

  it('reads a Novita 500 TASK_FAILED on the result endpoint as a final failure, not a server fault', () => {
    expect(
      finalTaskFailure(res(500, { code: 500, reason: 'TASK_FAILED', message: 'bad input', metadata: {} })),
    ).toEqual({
      status: 'failed',
      reason: 'bad input (TASK_FAILED)',
    });
    expect(finalTaskFailure(res(500, { code: 500, reason: 'GET_RESULT_FAILED', message: '' }))).toMatchObject(
      { status: 'failed' },
    );
    expect(finalTaskFailure(res(500, { message: 'Internal Server Error' }))).toBeUndefined();
    expect(finalTaskFailure(res(400, { reason: 'TASK_FAILED' }))).toBeUndefined();
  });

  it.each([
    ['scale_factor', '--scale'],
    ['optimized_for', '--optimized-for'],
    ['smart_grain', '--smart-grain'],
    ['output_format', '--format'],
    ['image', 'the input image'],
  ])('field %s comes from %s', (field, flag) => expect(flagForField(field)).toBe(flag));
});

describe('a key echoed in an error body', () => {
  const res = (status: number, json: unknown) => ({ status, headers: {}, text: JSON.stringify(json), json });
  it('is hidden from the message (it is printed, and stored as a lost submit’s reason)', () => {
    const json = { message: 'Internal error for key sk-live-123456' };
    const error = errorFor(freepikCreative as never, 'https://api.example.com', res(500, json), 'submit', [
      'sk-live-123456',
    ]);
    expect(error.message).not.toContain('sk-live-123456');
    expect(error.message).toContain('***');
  });
});

describe('the provider’s request id', () => {
  it('is kept on the error, from whichever header the provider uses', () => {
    const res = { status: 500, headers: { 'x-request-id': 'req-42' }, text: '{}', json: { message: 'boom' } };
    expect(errorFor(freepikCreative, 'https://api.example.com', res, 'submit').requestId).toBe('req-42');
    const cf = { status: 403, headers: { 'cf-ray': '8a1b2c3d4e5f-AMS' }, text: '{}', json: {} };
    expect(errorFor(novita, 'https://api.example.com', cf, 'submit').requestId).toBe('8a1b2c3d4e5f-AMS');
    expect(
      errorFor(novita, 'https://x', { status: 500, headers: {}, text: '', json: undefined }, 'submit')
        .requestId,
    ).toBeUndefined();
  });
});

describe('a 429 that says a quota is spent: the provider reads its own words', () => {
  const res = (text: string) => ({ status: 429, headers: {}, text, json: undefined });
  it.each([
    ['Daily limit reached for this API key', true],
    ['monthly quota exceeded', true],
    ['upgrade your plan', true],
    ['Too many requests, slow down', false],
    ['', false],
  ])('%j → quota %s', (text, quota) => {
    expect(speaksOfQuota(text)).toBe(quota);
    expect(freepikCreative.api.speaksOfQuota(text)).toBe(quota);
    expect(errorFor(freepikCreative, 'https://api.example.com', res(text), 'submit').code).toBe(
      quota ? 'DAILY_LIMIT' : 'RATE_LIMITED',
    );
  });

  it('follows the provider: one whose words differ is read by its own rule', () => {
    const strict = { ...novita, api: { ...novita.api, speaksOfQuota: (t: string) => t === 'QUOTA_GONE' } };
    expect(errorFor(strict, 'https://api.example.com', res('QUOTA_GONE'), 'submit').code).toBe('DAILY_LIMIT');
    expect(errorFor(strict, 'https://api.example.com', res('daily limit'), 'submit').code).not.toBe(
      'DAILY_LIMIT',
    );
  });
});
