/**
 * Talks to one provider through its pure adapter: builds URLs and headers, sends through the
 * HTTP layer with the right retry policy, and maps error answers to UpscaleErrors with hints.
 */
import { UpscaleError } from '../errors.js';
import { type HttpClient, type JsonResponse, safeHost } from '../http/client.js';
import { isConnectError } from '../http/network-errors.js';
import { READ_POLICY, type RetryPolicy, SUBMIT_POLICY } from '../http/retry-policy.js';
import { keyConfigCommand, keyEnvText } from '../providers/key-sources.js';
import type {
  ApiRequest,
  AuthStyle,
  ImageSource,
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
) {
  const res = await conn.client.json({
    url: requestUrl(conn.baseUrl, req),
    method: req.method,
    headers: remote(conn).authHeaders(conn.apiKey, conn.authStyle),
    ...(req.body ? { body: req.body } : {}),
    policy,
    ...(signal ? { signal } : {}),
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
 * Creates a paid task. Only failures that cannot have created one are retried; a failure after
 * the request may have arrived is reported as SUBMIT_UNCERTAIN, never silently sent again.
 */
export async function submitTask(
  conn: Connection,
  params: ParamValues,
  image: ImageSource,
  signal?: AbortSignal,
): Promise<ParsedTask> {
  const req = remote(conn).buildSubmit(params, image);
  let json: unknown;
  try {
    json = await send(conn, req, SUBMIT_POLICY, 'submit', signal);
  } catch (error) {
    if (error instanceof UpscaleError && error.code === 'NETWORK' && !isConnectError(error.cause)) {
      throw new UpscaleError(
        'SUBMIT_UNCERTAIN',
        `the submit to ${conn.provider.id} may or may not have created a task (${error.message})`,
        {
          hint: 'check the provider dashboard (or `upscale status --list`) before running again, so the image is not paid for twice',
          cause: error,
        },
      );
    }
    throw error;
  }
  return remote(conn).parseSubmit(json);
}

export async function fetchTaskState(
  conn: Connection,
  taskId: string,
  signal?: AbortSignal,
): Promise<TaskState> {
  const json = await send(conn, remote(conn).statusRequest(taskId), READ_POLICY, 'status request', signal);
  return remote(conn).parseStatus(json, taskId).state;
}

export async function listTasks(conn: Connection, signal?: AbortSignal): Promise<readonly ParsedTask[]> {
  const provider = remote(conn);
  if (!provider.listRequest || !provider.parseList) return [];
  return provider.parseList(await send(conn, provider.listRequest(), READ_POLICY, 'task list', signal));
}
