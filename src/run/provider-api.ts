/**
 * Talks to one provider through its pure adapter: builds URLs and headers, sends through the
 * HTTP layer with the right retry policy, and maps error answers to UpscaleErrors with hints.
 */
import { UpscaleError } from '../errors.js';
import { fsHint, fsReason, localFileErrorOf } from '../fs/fs-errors.js';
import type { RequestBudget } from '../http/budget.js';
import type { HttpClient, JsonResponse } from '../http/client.js';
import { delay } from '../http/delay.js';
import { isConnectError } from '../http/network-errors.js';
import { READ_POLICY, type RetryPolicy, retryDelayMs, SUBMIT_POLICY } from '../http/retry-policy.js';
import type {
  ApiRequest,
  AuthStyle,
  HttpApi,
  HttpProvider,
  ImageSource,
  ListedTask,
  ParamValues,
  ParsedTask,
  TaskState,
} from '../providers/types.js';
import { errorFor, finalTaskFailure } from './provider-errors.js';

/** A provider's HTTP API as a run reaches it: only a provider with the HTTP feature has one. */
export interface Connection {
  readonly provider: HttpProvider;
  readonly baseUrl: string;
  readonly apiKey: string;
  /** How the key travels; may change once, when the provider refuses it in one header and takes the other. */
  authStyle: AuthStyle;
  /** The user chose the header: no other is tried after a 401. */
  readonly authForced?: boolean;
  readonly client: HttpClient;
  /** The key's request budget (absent with `--rate-limit off`). */
  readonly budget?: RequestBudget;
  /** Stops this connection's listening to the budget, which outlives it (shared per key and host). */
  readonly release?: () => void;
}

/** How a request is weighed against the budget, and who is told it was sent. */
export interface RequestCharge {
  /** Higher goes first when the budget is short. */
  readonly priority?: () => number;
  /** Called once per attempt sent (retries included). */
  readonly onSent?: () => void;
  /** A budget slot is already taken for the first attempt (see StatusHub). */
  readonly prepaid?: boolean;
}

/** The HTTP adapter behind a connection. */
function remote(conn: Connection): HttpApi {
  return conn.provider.api;
}

export function requestUrl(baseUrl: string, req: ApiRequest): string {
  const url = new URL(baseUrl.replace(/\/+$/, '') + req.path);
  for (const [k, v] of Object.entries(req.query ?? {})) url.searchParams.set(k, v);
  return url.href;
}

/** One request and its answer (any status), retried per policy; `isFinal` stops retries of a final 5xx. */
async function exchange(
  conn: Connection,
  req: ApiRequest,
  policy: RetryPolicy,
  signal: AbortSignal | undefined,
  charge: RequestCharge,
  isFinal?: (res: Pick<JsonResponse, 'status' | 'json'>) => boolean,
): Promise<JsonResponse> {
  return conn.client.json({
    url: requestUrl(conn.baseUrl, req),
    method: req.method,
    headers: remote(conn).authHeaders(conn.apiKey, conn.authStyle),
    ...(req.body ? { body: req.body } : {}),
    policy,
    speaksOfQuota: (text: string) => remote(conn).speaksOfQuota(text),
    ...(signal ? { signal } : {}),
    ...(conn.budget ? { budget: conn.budget } : {}),
    ...(charge.priority ? { priority: charge.priority } : {}),
    ...(charge.onSent ? { onSent: charge.onSent } : {}),
    ...(charge.prepaid ? { prepaid: true } : {}),
    ...(isFinal
      ? { isFinal: (status: number, text: string) => isFinal({ status, json: parseJson(text) }) }
      : {}),
  });
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** The parsed JSON of a 2xx answer; anything else becomes an UpscaleError by its cause. */
function bodyOf(conn: Connection, res: JsonResponse, what: string): unknown {
  if (res.status < 200 || res.status >= 300)
    throw errorFor(conn.provider, conn.baseUrl, res, what, conn.apiKey ? [conn.apiKey] : []);
  if (res.json === undefined) {
    throw new UpscaleError(
      'BAD_RESPONSE',
      `${conn.provider.id} answered the ${what} with something that is not JSON`,
      {
        hint: 'the provider may be having trouble, or the base URL is wrong; run with --verbose to see it',
      },
    );
  }
  return res.json;
}

async function send(
  conn: Connection,
  req: ApiRequest,
  policy: RetryPolicy,
  what: string,
  signal?: AbortSignal,
  charge: RequestCharge = {},
) {
  return bodyOf(conn, await exchange(conn, req, policy, signal, charge), what);
}

/** After a 401 to an automatically chosen header: the provider's other one, when it has one. */
function otherAuthStyle(conn: Connection, error: unknown): AuthStyle | undefined {
  if (conn.authForced || !(error instanceof UpscaleError) || error.status !== 401) return undefined;
  return conn.provider.api.authStyles.find((s) => s !== conn.authStyle);
}

/**
 * True when a failed submit may still have created a task: the request may have reached the
 * server, and the answer does not say it was refused. Refusals (4xx, a 503 from the front door)
 * and connections that never opened created nothing.
 */
export function mayHaveCreatedTask(error: unknown): boolean {
  if (!(error instanceof UpscaleError)) return true;
  // A 5xx is the server's failure whatever code its words suggested: it may have come after the
  // task was created (only the front door's 503 says "not taken").
  const status = error.status ?? 0;
  if (status >= 500 && status !== 503) return true;
  switch (error.code) {
    case 'NETWORK':
      return !isConnectError(error.cause);
    case 'UNREACHABLE':
      return false;
    case 'BAD_RESPONSE':
    case 'ABORTED':
      return true;
    case 'HTTP':
      return (
        error.status === undefined || error.status === 408 || (error.status >= 500 && error.status !== 503)
      );
    default:
      return false;
  }
}

/**
 * Creates a paid task. Only failures that cannot have created one are retried; a failure after
 * the request may have arrived is reported as SUBMIT_UNCERTAIN, never silently sent again.
 */
export async function submitTask(
  conn: Connection,
  params: ParamValues,
  image: ImageSource,
  signal?: AbortSignal,
  charge?: RequestCharge,
): Promise<ParsedTask> {
  const req = remote(conn).buildSubmit(params, image);
  try {
    try {
      return remote(conn).parseSubmit(await send(conn, req, SUBMIT_POLICY, 'submit', signal, charge));
    } catch (error) {
      const other = otherAuthStyle(conn, error);
      if (!other) throw error;
      // A 401 created nothing: the same key in the provider's other header, once.
      const refused = conn.authStyle;
      conn.authStyle = other;
      try {
        const task = remote(conn).parseSubmit(await send(conn, req, SUBMIT_POLICY, 'submit', signal, charge));
        conn.client.log(`${conn.provider.id} refused the key as ${refused} and took it as ${other}`);
        return task;
      } catch (again) {
        conn.authStyle = refused;
        throw again;
      }
    }
  } catch (error) {
    // The image could not be read as it was being sent (the open-file limit): nothing was taken.
    const unread = localFileErrorOf(error);
    if (unread) {
      const path = image.kind === 'file' ? image.path : (unread.path ?? '');
      throw new UpscaleError(
        'INPUT_UNREADABLE',
        `${path} cannot be read to send it (${fsReason(unread)}); nothing was created`,
        { hint: fsHint(unread), cause: unread },
      );
    }
    if (!mayHaveCreatedTask(error)) throw error;
    const why = error instanceof Error ? error.message : String(error);
    throw new UpscaleError(
      'SUBMIT_UNCERTAIN',
      `the submit to ${conn.provider.id} may have created a task (${why})`,
      {
        hint: 'the task list is checked before anything is sent again, so the image is not paid for twice',
        cause: error,
        ...(error instanceof UpscaleError && error.status !== undefined ? { status: error.status } : {}),
      },
    );
  }
}

/** A status answer about another task is asked again this many times (a cache may be stale for a moment). */
const MISMATCH_ATTEMPTS = 3;

export async function fetchTaskState(
  conn: Connection,
  taskId: string,
  signal?: AbortSignal,
  charge?: RequestCharge,
): Promise<TaskState> {
  const isFinal = (res: Pick<JsonResponse, 'status' | 'json'>) => finalTaskFailure(res) !== undefined;
  const req = remote(conn).statusRequest(taskId);
  for (let attempt = 1; ; attempt++) {
    const res = await exchange(conn, req, READ_POLICY, signal, charge ?? {}, isFinal);
    // Novita says "this task failed" with a 500 on its result endpoint: final, not a server fault.
    const failed = finalTaskFailure(res);
    if (failed) return failed;
    const parsed = remote(conn).parseStatus(bodyOf(conn, res, 'status request'), taskId);
    if (parsed.taskId === taskId) return parsed.state;
    // Asked again after a backoff, like any answer a read can repeat; refused if it persists.
    if (attempt >= MISMATCH_ATTEMPTS) throw taskMismatch(conn, taskId, parsed.taskId);
    await delay(retryDelayMs(READ_POLICY, attempt), signal);
  }
}

/**
 * An answer about another task than the one asked for (a cache or a proxy in front of the API):
 * refused, never taken for this task's state (its result would be another input's picture).
 */
export function taskMismatch(conn: Connection, asked: string, answered: string): UpscaleError {
  return new UpscaleError(
    'TASK_MISMATCH',
    `${conn.provider.id} answered the status of task ${asked} with task ${answered}: the answer was refused, the task is kept pending`,
    {
      hint: 'run the same command again to collect it (nothing is paid twice); if it repeats, a cache or proxy in front of the API answers for the wrong task: check --base-url',
    },
  );
}

/** Pages read at most: a list longer than this cannot decide anything (10,000 tasks at 100 a page). */
const MAX_LIST_PAGES = 100;

/** Whether the provider has a task list that can tell whether a lost submit created a task. */
export function hasTaskList(conn: Connection): boolean {
  const { api } = conn.provider;
  return api.listRequest !== undefined && api.parseList !== undefined;
}

/**
 * Every task the provider lists (newest first), following its pages. Throws when a page cannot be
 * read, or when the list is longer than MAX_LIST_PAGES: a partial list must never be taken as "no
 * such task". `until` ends the reading after the page that holds a task it picks (recovery reads
 * down to the newest task listed before its run's first submit, not the account's history).
 */
export async function listAllTasks(
  conn: Connection,
  signal?: AbortSignal,
  charge?: RequestCharge,
  maxPages = MAX_LIST_PAGES,
  until?: (task: ListedTask) => boolean,
): Promise<ListedTask[]> {
  const api = remote(conn);
  if (!api.listRequest || !api.parseList) return [];
  const byId = new Map<string, ListedTask>();
  for (let page = 1; page <= maxPages; page++) {
    const pageCharge = page === 1 || !charge ? charge : { ...charge, prepaid: false };
    const json = await send(conn, api.listRequest(page), READ_POLICY, 'task list', signal, pageCharge);
    const { tasks, more } = api.parseList(json, page);
    const before = byId.size;
    for (const task of tasks) if (!byId.has(task.taskId)) byId.set(task.taskId, task);
    // A server that ignores `page` sends the same tasks again: nothing new means the end.
    if (!more || byId.size === before || (until && tasks.some(until))) return [...byId.values()];
  }
  // A batch poll reads the first pages only (new tasks come first); recovery must read them all.
  if (maxPages < MAX_LIST_PAGES) return [...byId.values()];
  throw new UpscaleError(
    'BAD_RESPONSE',
    `the ${conn.provider.id} task list has more than ${MAX_LIST_PAGES} pages`,
    {
      hint: 'the list is too long to search; check the provider dashboard',
    },
  );
}
