/**
 * Talks to one provider through its pure adapter: builds URLs and headers, sends through the
 * HTTP layer with the right retry policy, and maps error answers to UpscaleErrors with hints.
 */
import { UpscaleError } from '../errors.js';
import type { RequestBudget } from '../http/budget.js';
import { type HttpClient, isQuotaAnswer, type JsonResponse, safeHost } from '../http/client.js';
import { isConnectError } from '../http/network-errors.js';
import { parseRateLimitHeaders } from '../http/rate-limit-headers.js';
import { READ_POLICY, type RetryPolicy, SUBMIT_POLICY } from '../http/retry-policy.js';
import { keyConfigCommand, keyEnvText } from '../providers/key-sources.js';
import type {
  ApiRequest,
  AuthStyle,
  ImageSource,
  ListedTask,
  ParamValues,
  ParsedTask,
  Provider,
  TaskState,
} from '../providers/types.js';
import { type AnyProvider, isLocalProvider } from '../providers/types.js';

export interface Connection {
  /** Remote providers talk HTTP through this; a local one only uses `provider` (see run-local.ts). */
  readonly provider: AnyProvider;
  readonly baseUrl: string;
  readonly apiKey: string;
  readonly authStyle: AuthStyle;
  readonly client: HttpClient;
  /** The key's request budget (absent with `--rate-limit off`). */
  readonly budget?: RequestBudget;
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

/** The HTTP adapter behind a connection; a local provider never reaches this module. */
function remote(conn: Connection): Provider {
  if (isLocalProvider(conn.provider)) throw new Error(`${conn.provider.id} runs locally and has no API`);
  return conn.provider;
}

export function requestUrl(baseUrl: string, req: ApiRequest): string {
  const url = new URL(baseUrl.replace(/\/+$/, '') + req.path);
  for (const [k, v] of Object.entries(req.query ?? {})) url.searchParams.set(k, v);
  return url.href;
}

function errorFor(conn: Connection, res: JsonResponse, what: string): UpscaleError {
  const provider = remote(conn);
  const detail =
    provider.errorMessage(res.status, res.json) ??
    (res.text.trim().startsWith('<') ? 'an HTML error page' : res.text.slice(0, 200).trim());
  const said = detail ? `: ${detail}` : '';
  const status = res.status;
  if (status === 401 || status === 403) {
    return new UpscaleError('AUTH', `${provider.id} rejected the API key (HTTP ${status}${said})`, {
      status,
      hint: `check the key: --api-key, ${keyEnvText(provider)}, or \`${keyConfigCommand(provider)}\``,
    });
  }
  if (status === 402) {
    return new UpscaleError(
      'PAYMENT_REQUIRED',
      `${provider.id} refused the ${what}: payment required${said}`,
      {
        status,
        hint: 'add credits to the provider account, then run the same command again',
      },
    );
  }
  if (status === 400 || status === 413 || status === 422) {
    return new UpscaleError('REJECTED', `${provider.id} rejected the ${what} (HTTP ${status}${said})`, {
      status,
      hint: 'check the flags against `upscale providers`; run with --verbose to see the request',
    });
  }
  if (status === 404) {
    return new UpscaleError('TASK_NOT_FOUND', `${provider.id} does not know this task (HTTP 404${said})`, {
      status,
      hint: 'the task id may be wrong or expired, or belong to another provider (-p)',
    });
  }
  if (isQuotaAnswer(status, res.headers, res.text)) {
    const reset = parseRateLimitHeaders(res.headers).resetMs;
    const when =
      reset === undefined
        ? ''
        : `; it resets at ${new Date(Date.now() + reset).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
    return new UpscaleError(
      'DAILY_LIMIT',
      `${provider.id} says the daily limit of this API key is reached${said}${when}`,
      {
        status,
        hint: 'run the same command again after the reset: what is done is skipped, nothing is paid twice',
      },
    );
  }
  if (status === 429) {
    return new UpscaleError('RATE_LIMITED', `${provider.id} is rate limiting the ${what} (HTTP 429${said})`, {
      status,
      hint: 'wait a minute or lower --concurrency, then run the same command again',
    });
  }
  return new UpscaleError(
    'HTTP',
    `${safeHost(conn.baseUrl)} answered the ${what} with HTTP ${status}${said}`,
    {
      status,
      hint: 'the provider may be having trouble: run the same command again later',
    },
  );
}

async function send(
  conn: Connection,
  req: ApiRequest,
  policy: RetryPolicy,
  what: string,
  signal?: AbortSignal,
  charge: RequestCharge = {},
) {
  const res = await conn.client.json({
    url: requestUrl(conn.baseUrl, req),
    method: req.method,
    headers: remote(conn).authHeaders(conn.apiKey, conn.authStyle),
    ...(req.body ? { body: req.body } : {}),
    policy,
    ...(signal ? { signal } : {}),
    ...(conn.budget ? { budget: conn.budget } : {}),
    ...(charge.priority ? { priority: charge.priority } : {}),
    ...(charge.onSent ? { onSent: charge.onSent } : {}),
    ...(charge.prepaid ? { prepaid: true } : {}),
  });
  if (res.status < 200 || res.status >= 300) throw errorFor(conn, res, what);
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

/**
 * True when a failed submit may still have created a task: the request may have reached the
 * server, and the answer does not say it was refused. Refusals (4xx, a 503 from the front door)
 * and connections that never opened created nothing.
 */
export function mayHaveCreatedTask(error: unknown): boolean {
  if (!(error instanceof UpscaleError)) return true;
  switch (error.code) {
    case 'NETWORK':
      return !isConnectError(error.cause);
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
    return remote(conn).parseSubmit(await send(conn, req, SUBMIT_POLICY, 'submit', signal, charge));
  } catch (error) {
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

export async function fetchTaskState(
  conn: Connection,
  taskId: string,
  signal?: AbortSignal,
  charge?: RequestCharge,
): Promise<TaskState> {
  const json = await send(
    conn,
    remote(conn).statusRequest(taskId),
    READ_POLICY,
    'status request',
    signal,
    charge,
  );
  return remote(conn).parseStatus(json, taskId).state;
}

/** Pages read at most: a list longer than this cannot decide anything (10,000 tasks at 100 a page). */
const MAX_LIST_PAGES = 100;

/** Whether the provider has a task list that can tell whether a lost submit created a task. */
export function hasTaskList(conn: Connection): boolean {
  const { provider } = conn;
  return !isLocalProvider(provider) && provider.listRequest !== undefined && provider.parseList !== undefined;
}

/**
 * Every task the provider lists, following its pages. Throws when a page cannot be read, or when
 * the list is longer than MAX_LIST_PAGES: a partial list must never be taken as "no such task".
 */
export async function listAllTasks(
  conn: Connection,
  signal?: AbortSignal,
  charge?: RequestCharge,
  maxPages = MAX_LIST_PAGES,
): Promise<ListedTask[]> {
  const provider = remote(conn);
  if (!provider.listRequest || !provider.parseList) return [];
  const byId = new Map<string, ListedTask>();
  for (let page = 1; page <= maxPages; page++) {
    const pageCharge = page === 1 || !charge ? charge : { ...charge, prepaid: false };
    const json = await send(conn, provider.listRequest(page), READ_POLICY, 'task list', signal, pageCharge);
    const { tasks, more } = provider.parseList(json, page);
    const before = byId.size;
    for (const task of tasks) if (!byId.has(task.taskId)) byId.set(task.taskId, task);
    // A server that ignores `page` sends the same tasks again: nothing new means the end.
    if (!more || byId.size === before) return [...byId.values()];
  }
  // A batch poll reads the first pages only (new tasks come first); recovery must read them all.
  if (maxPages < MAX_LIST_PAGES) return [...byId.values()];
  throw new UpscaleError(
    'BAD_RESPONSE',
    `the ${provider.id} task list has more than ${MAX_LIST_PAGES} pages`,
    {
      hint: 'the list is too long to search; check the provider dashboard',
    },
  );
}
