import { describe, expect, it } from 'vitest';
import { UpscaleError } from '../../src/errors.js';
import { resolveParams } from '../../src/options.js';
import {
  novita,
  novitaErrorMessage,
  parseNovitaStatus,
  parseNovitaSubmit,
} from '../../src/providers/novita.js';
import type { UrlImage } from '../../src/providers/types.js';

const image: UrlImage = { kind: 'url', url: 'https://example.com/photo.jpg' };
const body = (flags: Record<string, string>) =>
  novita.api.buildSubmit(resolveParams(novita, flags), image).body;
const id = '7a3c1e2f-0000-4000-8000-000000000001';

describe('novita: flags → body', () => {
  it.each([
    [{}, { image }],
    [{ resolution: '2k' }, { image, resolution: '2k' }],
    [{ resolution: '8K' }, { image, resolution: '8k' }],
    [
      { webhookUrl: 'https://example.com/hook' },
      { image, extra: { webhook: { url: 'https://example.com/hook' } } },
    ],
  ])('%o → %o', (flags, expected) => {
    expect(body(flags)).toEqual(expected);
  });

  it.each([
    [{ resolution: '16k' }, /--resolution "16k" must be one of 2k, 4k, 8k/],
    [{ engine: 'sparkle' }, /--engine does not apply to novita; it belongs to freepik, comfy/],
    [{ flavor: 'photo' }, /--flavor does not apply to novita; it belongs to freepik-precision-v2/],
    [{ scale: '4x' }, /--scale does not apply to novita: Novita takes a target resolution, not a factor/],
  ])('refuses %o', (flags, message) => {
    expect(() => body(flags)).toThrow(message);
  });

  it.each([
    [{ format: 'png' }, { image, output_format: 'png' }],
    [
      { format: 'webp', resolution: '4k' },
      { image, resolution: '4k', output_format: 'webp' },
    ],
  ] as const)(
    'a format the run asks for (--format) is sent as output_format: %o → %o',
    (params, expected) => {
      expect(novita.api.buildSubmit(params, image).body).toEqual(expected);
    },
  );

  it('can be asked for jpeg, png and webp; other formats are converted after the download', () => {
    expect(novita.limits.outputFormats).toEqual(['jpeg', 'png', 'webp']);
  });

  it('posts to /v3/async/image-upscaler and polls task-result with a query parameter', () => {
    expect(novita.api.buildSubmit({}, image)).toMatchObject({
      method: 'POST',
      path: '/v3/async/image-upscaler',
    });
    expect(novita.api.statusRequest(id)).toEqual({
      method: 'GET',
      path: '/v3/async/task-result',
      query: { task_id: id },
    });
    expect(novita.api.authHeaders('k-1', 'bearer')).toEqual({ authorization: 'Bearer k-1' });
  });

  it('takes URLs only, has no factor, and tags outputs by resolution', () => {
    expect(novita.limits.inputs).toEqual({ file: false, url: true });
    expect(novita.outputSize({ width: 640, height: 480 }, { resolution: '2k' })).toBeUndefined();
    expect(novita.outputTag({})).toBe('4k');
    expect(novita.outputTag({ resolution: '8k' })).toBe('8k');
  });
});

const task = (fields: Record<string, unknown>, images: unknown[] = []) => ({
  task: { task_id: id, task_type: 'IMAGE_UPSCALER', reason: '', eta: 0, progress_percent: 0, ...fields },
  images,
  extra: {},
});

describe('novita: every status shape', () => {
  it.each([
    ['queued', task({ status: 'TASK_STATUS_QUEUED' }), { status: 'queued' }],
    [
      'processing with progress and eta',
      task({ status: 'TASK_STATUS_PROCESSING', progress_percent: 42, eta: 7 }),
      { status: 'running', progress: 42, etaSeconds: 7 },
    ],
    [
      'processing, eta 0 means unknown (never a busy poll)',
      task({ status: 'TASK_STATUS_PROCESSING', progress_percent: 10, eta: 0 }),
      { status: 'running', progress: 10 },
    ],
    [
      'processing with numbers as strings',
      task({ status: 'TASK_STATUS_PROCESSING', progress_percent: '55', eta: '3' }),
      { status: 'running', progress: 55, etaSeconds: 3 },
    ],
    [
      'processing without progress fields',
      { task: { task_id: id, status: 'TASK_STATUS_PROCESSING' } },
      { status: 'running' },
    ],
    [
      'unknown status keeps waiting',
      task({ status: 'TASK_STATUS_UNKNOWN' }),
      { status: 'running', progress: 0 },
    ],
    [
      'succeeded',
      task({ status: 'TASK_STATUS_SUCCEED', progress_percent: 100 }, [
        {
          image_url: 'https://cdn.example/a.jpeg?X-Amz-Signature=1',
          image_url_ttl: '3600',
          image_type: 'jpeg',
        },
      ]),
      { status: 'succeeded', urls: ['https://cdn.example/a.jpeg?X-Amz-Signature=1'] },
    ],
    [
      'succeeded with two images',
      task({ status: 'TASK_STATUS_SUCCEED' }, [
        { image_url: 'https://x/1.png' },
        { image_url: 'https://x/2.png' },
      ]),
      { status: 'succeeded', urls: ['https://x/1.png', 'https://x/2.png'] },
    ],
    [
      'succeeded without images: no URLs yet (asked again by the poll loop)',
      task({ status: 'TASK_STATUS_SUCCEED' }, []),
      { status: 'succeeded', urls: [] },
    ],
    [
      'failed with a reason',
      task({ status: 'TASK_STATUS_FAILED', reason: 'image too large' }),
      { status: 'failed', reason: 'image too large' },
    ],
    [
      'failed without a reason',
      task({ status: 'TASK_STATUS_FAILED', reason: '' }),
      { status: 'failed', reason: 'novita reported the task as failed (no reason given)' },
    ],
  ])('%s', (_name, json, state) => {
    expect(parseNovitaStatus(json, id)).toEqual({ taskId: id, state });
  });

  it('uses the polled id when the answer omits it', () => {
    expect(parseNovitaStatus({ task: { status: 'TASK_STATUS_QUEUED' } }, id).taskId).toBe(id);
  });

  it.each([[{}], [{ task: {} }], [null], [{ task_id: id }]])('refuses %j as BAD_RESPONSE', (json) => {
    expect(() => parseNovitaStatus(json, id)).toThrow(UpscaleError);
  });

  it('reads the submit answer {"task_id"} as a queued task', () => {
    expect(parseNovitaSubmit({ task_id: id })).toEqual({ taskId: id, state: { status: 'queued' } });
    expect(() => parseNovitaSubmit({ code: 400 })).toThrow(/no task_id/);
    expect(() => parseNovitaSubmit({ task_id: '../../etc' })).toThrow(/unusable task id/);
  });
});

describe('novita: error bodies', () => {
  it.each([
    [
      { code: 403, reason: 'BILLING_BALANCE_NOT_ENOUGH', message: 'not enough balance', metadata: {} },
      'not enough balance (BILLING_BALANCE_NOT_ENOUGH)',
    ],
    [{ code: 400, reason: 'INVALID_REQUEST_BODY' }, 'INVALID_REQUEST_BODY'],
    [{ message: 'invalid API key' }, 'invalid API key'],
    [{}, undefined],
    ['not json', undefined],
  ])('%j → %s', (json, message) => {
    expect(novitaErrorMessage(json)).toBe(message);
  });
});
