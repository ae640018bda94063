/**
 * What the three Freepik/Magnific upscalers (and the Comfy proxy of them) share:
 * the task answer in all its documented and observed shapes, error bodies,
 * and the price tiers used for estimates.
 */
import { UpscaleError } from '../errors.js';
import { errorSentence, readErrorBody } from './error-body.js';
import { asNumber, asObject, asString, isSafeTaskId, type JsonObject } from './json-shape.js';
import type { ApiRequest, CostEstimate, ListedTask, ListPage, ParsedTask, Size, TaskState } from './types.js';

function generatedUrls(value: unknown): string[] {
  if (!Array.isArray(value)) return [];
  const urls: string[] = [];
  for (const item of value) {
    // Some clients saw `generated` items as objects with a `url`.
    const url = asString(item) ?? asString(asObject(item)?.url);
    if (url) urls.push(url);
  }
  return urls;
}

function toState(status: string, task: JsonObject): TaskState {
  switch (status.toUpperCase()) {
    case 'CREATED':
      return { status: 'queued' };
    case 'IN_PROGRESS':
      return { status: 'running' };
    case 'COMPLETED':
      // Seen live: COMPLETED with an empty `generated` (paid); the poll loop asks again for a while.
      return { status: 'succeeded', urls: generatedUrls(task.generated) };
    case 'FAILED':
    case 'FAIL':
    case 'ERROR':
      return {
        status: 'failed',
        reason: `the provider reported the task as ${status.toUpperCase()} (no reason given)`,
      };
    case 'CANCELED':
    case 'CANCELLED':
      return { status: 'failed', reason: 'the task was cancelled' };
    default:
      // An unknown state is treated as still working; the poll interval keeps growing, never a busy loop.
      return { status: 'running' };
  }
}

/**
 * Parses `{"data":{task_id,status,generated}}`, the older unwrapped body, and `task_status`.
 * `expectedId` is used when a status answer omits the id.
 */
export function parseFreepikTask(json: unknown, expectedId?: string): ParsedTask {
  const root = asObject(json);
  const task = asObject(root?.data) ?? root;
  const status = asString(task?.status) ?? asString(task?.task_status);
  const taskId = asString(task?.task_id) ?? expectedId;
  if (!task || !status || !taskId) {
    throw new UpscaleError(
      'BAD_RESPONSE',
      'the provider answered with JSON of an unexpected shape (no task_id/status)',
      {
        hint: 'the API may have changed; run with --verbose to see the answer',
      },
    );
  }
  if (!isSafeTaskId(taskId)) {
    throw new UpscaleError(
      'BAD_RESPONSE',
      `the provider answered with an unusable task id ${JSON.stringify(taskId.slice(0, 40))}`,
    );
  }
  return { taskId, state: toState(status, task) };
}

/** Tasks asked for per page of the list (the API's `per_page`; its maximum is undocumented). */
export const LIST_PAGE_SIZE = 100;

/** `GET <path>?page=N&per_page=…`: the documented list takes `page` and `per_page` (its 400 examples name them). */
export function freepikListRequest(path: string, page: number): ApiRequest {
  return { method: 'GET', path, query: { page: String(page), per_page: String(LIST_PAGE_SIZE) } };
}

/** A creation time in a list item, when the service sends one (undocumented): ISO text or epoch seconds/ms. */
function createdAtOf(item: JsonObject | undefined): number | undefined {
  const raw = item?.created_at ?? item?.createdAt ?? item?.created;
  if (typeof raw === 'string' && raw.trim() !== '' && Number.isNaN(Number(raw))) {
    const ms = Date.parse(raw);
    return Number.isNaN(ms) ? undefined : ms;
  }
  const n = asNumber(raw);
  if (n === undefined) return undefined;
  return n < 1e12 ? n * 1000 : n;
}

/**
 * Whether another page may follow: `meta.pagination` (`current_page`/`last_page`, or `total`),
 * `meta.last_page`, a `links.next`; without any of these, a full page may be followed by more.
 */
function hasMorePages(root: JsonObject | undefined, page: number, count: number): boolean {
  const meta = asObject(root?.meta);
  const pagination = asObject(meta?.pagination) ?? meta;
  const last = asNumber(pagination?.last_page) ?? asNumber(pagination?.total_pages);
  if (last !== undefined) return page < last;
  const total = asNumber(pagination?.total);
  const perPage = asNumber(pagination?.per_page) ?? LIST_PAGE_SIZE;
  if (total !== undefined) return page * perPage < total;
  const links = asObject(root?.links);
  if (links && 'next' in links) return typeof links.next === 'string' && links.next !== '';
  return count >= LIST_PAGE_SIZE;
}

/** One page of the list endpoint: `{"data":[{task_id,status}], "meta"?: {pagination}}`. */
export function parseFreepikList(json: unknown, page = 1): ListPage {
  const root = asObject(json);
  const data = root?.data;
  if (!Array.isArray(data)) {
    throw new UpscaleError('BAD_RESPONSE', 'the task list is not {"data":[…]}', {
      hint: 'the API may have changed; run with --verbose to see the answer',
    });
  }
  const tasks: ListedTask[] = [];
  for (const item of data) {
    try {
      const createdAt = createdAtOf(asObject(item));
      tasks.push({ ...parseFreepikTask(item), ...(createdAt !== undefined ? { createdAt } : {}) });
    } catch {
      // Skip entries we cannot read rather than failing the recovery that asked for them.
    }
  }
  return { tasks, more: data.length > 0 && hasMorePages(root, page, data.length) };
}

/** Any error body a Freepik-family host sends, as one line (see error-body.ts). */
export function freepikErrorMessage(json: unknown): string | undefined {
  return errorSentence(readErrorBody(json));
}

/** Price tiers per 2× step by the megapixels that step reads (docs/providers.md; as resold by Comfy). */
const STEP_TIERS: readonly { readonly maxMegapixels: number; readonly euros: number }[] = [
  { maxMegapixels: 1.3, euros: 0.143 },
  { maxMegapixels: 3.0, euros: 0.286 },
  { maxMegapixels: 6.4, euros: 0.429 },
  { maxMegapixels: Number.POSITIVE_INFINITY, euros: 1.716 },
];

/**
 * Estimate for a job of `scale` (a power of two: 2, 4, 8, 16): one step per doubling,
 * each priced by the pixels it reads. Other factors are priced as the next power of two up.
 */
export function freepikStepCost(input: Size, scale: number): CostEstimate {
  const steps = Math.max(1, Math.ceil(Math.log2(scale)));
  let megapixels = (input.width * input.height) / 1_000_000;
  let amount = 0;
  for (let i = 0; i < steps; i++) {
    const tier = STEP_TIERS.find((t) => megapixels <= t.maxMegapixels) ?? STEP_TIERS[STEP_TIERS.length - 1]!;
    amount += tier.euros;
    megapixels *= 4;
  }
  return {
    amount: Math.round(amount * 1000) / 1000,
    currency: 'EUR',
    basis: `${steps} × 2× step${steps > 1 ? 's' : ''} at Comfy's prices`,
  };
}
