import { describe, expect, it } from 'vitest';
import {
  freepikErrorMessage,
  freepikStepCost,
  parseFreepikList,
  parseFreepikTask,
} from '../../src/providers/freepik-common.js';

const id = '046b6c7f-0b8a-43b9-b35d-6489e6daee91';

describe('parseFreepikTask: every documented and observed shape', () => {
  it.each([
    ['wrapped, created', { data: { task_id: id, status: 'CREATED', generated: [] } }, { status: 'queued' }],
    [
      'wrapped, in progress',
      { data: { task_id: id, status: 'IN_PROGRESS', generated: [] } },
      { status: 'running' },
    ],
    [
      'wrapped, completed',
      { data: { task_id: id, status: 'COMPLETED', generated: ['https://cdn.example/a.jpg'] } },
      { status: 'succeeded', urls: ['https://cdn.example/a.jpg'] },
    ],
    ['unwrapped', { task_id: id, status: 'IN_PROGRESS', generated: [] }, { status: 'running' }],
    ['task_status', { data: { task_id: id, task_status: 'CREATED' } }, { status: 'queued' }],
    [
      'generated as objects',
      { data: { task_id: id, status: 'COMPLETED', generated: [{ url: 'https://cdn.example/b.png' }] } },
      { status: 'succeeded', urls: ['https://cdn.example/b.png'] },
    ],
    [
      'lower-case status',
      { data: { task_id: id, status: 'completed', generated: ['https://x/y.png'] } },
      { status: 'succeeded', urls: ['https://x/y.png'] },
    ],
    [
      'unknown status keeps waiting',
      { data: { task_id: id, status: 'QUEUED_SOMEWHERE' } },
      { status: 'running' },
    ],
  ])('%s', (_name, json, state) => {
    expect(parseFreepikTask(json)).toEqual({ taskId: id, state });
  });

  it('reports FAILED and CANCELLED as failed', () => {
    expect(parseFreepikTask({ data: { task_id: id, status: 'FAILED', generated: [] } }).state.status).toBe(
      'failed',
    );
    expect(parseFreepikTask({ data: { task_id: id, status: 'CANCELLED' } }).state.status).toBe('failed');
  });

  it('keeps COMPLETED without images as succeeded with no URLs (paid: the poll loop asks again)', () => {
    expect(parseFreepikTask({ data: { task_id: id, status: 'COMPLETED', generated: [] } }).state).toEqual({
      status: 'succeeded',
      urls: [],
    });
  });

  it.each([['CANCELED'], ['CANCELLED'], ['ERROR'], ['FAIL'], ['failed']])(
    'treats %s as final failure',
    (status) => {
      expect(parseFreepikTask({ data: { task_id: id, status } }).state.status).toBe('failed');
    },
  );

  it('uses the expected id when a status answer omits it', () => {
    expect(parseFreepikTask({ data: { status: 'IN_PROGRESS' } }, id).taskId).toBe(id);
  });

  it.each([[null], ['text'], [{ foo: 1 }], [{ data: { task_id: id } }], [{ data: { status: 'CREATED' } }]])(
    'refuses a wrong shape %o',
    (json) => {
      expect(() => parseFreepikTask(json)).toThrow(/unexpected shape/);
    },
  );

  it.each([['../../etc/passwd'], ['a/b'], ['x'.repeat(200)]])(
    'refuses a task id with path characters: %s',
    (bad) => {
      expect(() => parseFreepikTask({ data: { task_id: bad, status: 'CREATED' } })).toThrow(
        /unusable task id/,
      );
    },
  );

  it('parses a list page and skips unreadable entries', () => {
    expect(parseFreepikList({ data: [{ task_id: id, status: 'CREATED' }, { nope: true }] }, 1)).toEqual({
      tasks: [{ taskId: id, state: { status: 'queued' } }],
      more: false,
    });
    expect(() => parseFreepikList({}, 1)).toThrow(/not \{"data"/);
  });

  it.each([
    ['meta.pagination says more', { meta: { pagination: { current_page: 1, last_page: 3 } } }, 1, true],
    ['meta.pagination at the end', { meta: { pagination: { current_page: 3, last_page: 3 } } }, 3, false],
    ['a total beyond this page', { meta: { total: 250, per_page: 100 } }, 2, true],
    ['a total reached', { meta: { total: 200, per_page: 100 } }, 2, false],
    ['links.next set', { links: { next: 'https://x/?page=2' } }, 1, true],
    ['links.next null', { links: { next: null } }, 1, false],
  ])('follows pagination: %s', (_what, extra, page, more) => {
    expect(parseFreepikList({ data: [{ task_id: id, status: 'CREATED' }], ...extra }, page).more).toBe(more);
  });

  it('reads a creation time when the list sends one', () => {
    const page = parseFreepikList(
      { data: [{ task_id: id, status: 'COMPLETED', created_at: '2026-01-02T03:04:05Z' }] },
      1,
    );
    expect(page.tasks[0]).toMatchObject({ createdAt: Date.parse('2026-01-02T03:04:05Z') });
  });
});

describe('freepikErrorMessage', () => {
  it.each([
    [{ message: 'Invalid API key' }, 'Invalid API key'],
    [
      {
        message: "Your request parameters didn't validate.",
        invalid_params: [{ name: 'hdr', reason: 'too big' }],
      },
      "Your request parameters didn't validate. (hdr: too big)",
    ],
    [
      { problem: { message: 'Bad', invalid_params: [{ name: 'image', reason: 'not base64' }] } },
      'Bad (image: not base64)',
    ],
    [{ error: 'Oops' }, 'Oops'],
    [undefined, undefined],
  ])('%o → %s', (json, message) => {
    expect(freepikErrorMessage(json)).toBe(message);
  });
});

describe('freepikStepCost (tiers per 2× step)', () => {
  it.each([
    [{ width: 1000, height: 1000 }, 2, 0.143],
    [{ width: 1000, height: 1000 }, 4, 0.143 + 0.429], // second step reads 4 MP
    [{ width: 2000, height: 1000 }, 2, 0.286],
    [{ width: 640, height: 480 }, 4, 0.143 + 0.143], // 0.31 MP, then 1.23 MP
    [{ width: 3000, height: 3000 }, 2, 1.716],
  ])('%o at %dx costs %d', (size, scale, euros) => {
    expect(freepikStepCost(size, scale).amount).toBeCloseTo(euros, 3);
  });
});
