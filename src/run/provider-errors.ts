/**
 * A provider's error answer as one UpscaleError: the line says what the provider said (every body
 * shape, see providers/error-body.ts), and the code and hint follow the cause, not the HTTP status
 * alone — Novita answers an empty balance with 400 and a bad key with 403, for instance.
 */
import { UpscaleError } from '../errors.js';
import { isQuotaAnswer, type JsonResponse, safeHost } from '../http/client.js';
import { parseRateLimitHeaders } from '../http/rate-limit-headers.js';
import { redact } from '../http/redact.js';
import { type ErrorBody, readErrorBody } from '../providers/error-body.js';
import { flagOf } from '../providers/index.js';
import { keyConfigCommand, keyEnvText } from '../providers/key-sources.js';
import type { HttpProvider, TaskState } from '../providers/types.js';

const BILLING = /billing|balance|credit|insufficient|payment|top.?up|subscription/i;
const BAD_KEY = /invalid.?api.?key|api key|invalid token|unauthori[sz]ed|forbidden|missing.?(api.?)?key/i;
/** Novita's result endpoint answers a failed task with a 500 carrying one of these: final, not transient. */
const TASK_FAILED_REASONS = new Set(['TASK_FAILED', 'GET_RESULT_FAILED']);

/** The flag behind a body field the provider refused (`optimized_for` → `--optimized-for`). */
export function flagForField(field: string): string {
  const special: Record<string, string> = {
    scale_factor: '--scale',
    output_format: '--format',
    image: 'the input image',
  };
  if (special[field]) return special[field];
  const key = field.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
  return flagOf(key);
}

/**
 * What a refusal means. Words decide only among 4xx answers (Novita says "no credits" with a 400):
 * a 5xx is the server's failure whatever its message says ("billing service timeout" after the
 * task was created is not "no credits, nothing created"), so only its status code counts.
 */
function kind(status: number, body: ErrorBody): 'billing' | 'key' | 'fields' | undefined {
  if (status >= 500) return undefined;
  const text = `${body.reason ?? ''} ${body.message ?? ''}`;
  if (status === 402 || BILLING.test(text)) return 'billing';
  if (status === 401 || status === 403 || /INVALID_API_KEY/i.test(body.reason ?? '') || BAD_KEY.test(text))
    return status >= 400 && status < 500 ? 'key' : undefined;
  if (status === 400 || status === 413 || status === 422) return 'fields';
  return undefined;
}

/** A 500 from a status request that is the provider's way of saying the task failed (Novita). */
export function finalTaskFailure(res: Pick<JsonResponse, 'status' | 'json'>): TaskState | undefined {
  if (res.status < 500) return undefined;
  const body = readErrorBody(res.json);
  if (!body.reason || !TASK_FAILED_REASONS.has(body.reason.toUpperCase())) return undefined;
  return { status: 'failed', reason: body.message ? `${body.message} (${body.reason})` : body.reason };
}

/** Headers providers and their front doors put a request's id in. */
const REQUEST_ID_HEADERS = [
  'x-request-id',
  'request-id',
  'x-amzn-requestid',
  'x-amz-request-id',
  'cf-ray',
  'x-trace-id',
];

function requestIdOf(res: Pick<JsonResponse, 'headers'>): string | undefined {
  for (const name of REQUEST_ID_HEADERS) {
    const value = res.headers[name];
    const text = Array.isArray(value) ? value[0] : value;
    if (text) return text.slice(0, 120);
  }
  return undefined;
}

/**
 * The error for an answer, with the provider's request id kept for support (shown by --verbose).
 * `secrets` (the API key) are hidden from the message: a server may echo the request into its
 * error, and the message is printed, and stored as the reason of a lost submit in the ledger.
 */
export function errorFor(
  provider: HttpProvider,
  baseUrl: string,
  res: JsonResponse,
  what: string,
  secrets: readonly string[] = [],
): UpscaleError {
  const error = classify(provider, baseUrl, res, what);
  const requestId = requestIdOf(res);
  const message = redact(error.message, secrets);
  if (!requestId && message === error.message) return error;
  return new UpscaleError(error.code, message, {
    hint: error.hint,
    status: error.status,
    cause: error.cause,
    ...(requestId ? { requestId } : {}),
  });
}

function classify(provider: HttpProvider, baseUrl: string, res: JsonResponse, what: string): UpscaleError {
  const body = readErrorBody(res.json);
  const detail =
    provider.api.errorMessage(res.status, res.json) ??
    (res.text.trim().startsWith('<') ? 'an HTML error page' : res.text.slice(0, 200).trim());
  const said = detail ? `: ${detail}` : '';
  const { status } = res;
  switch (kind(status, body)) {
    case 'billing':
      return new UpscaleError(
        'PAYMENT_REQUIRED',
        `${provider.id} refused the ${what}: no credits left${said}`,
        {
          status,
          hint: 'top up the provider account or check your plan, then run the same command again (what is done is skipped)',
        },
      );
    case 'key':
      return new UpscaleError('AUTH', `${provider.id} rejected the API key (HTTP ${status}${said})`, {
        status,
        hint: `check the key: --api-key, ${keyEnvText(provider)}, or \`${keyConfigCommand(provider)}\``,
      });
    case 'fields': {
      const flags = [...new Set(body.fields.map((f) => flagForField(f.name)))];
      const which = flags.length > 0 ? flags.join(', ') : 'the flags';
      return new UpscaleError('REJECTED', `${provider.id} rejected the ${what} (HTTP ${status}${said})`, {
        status,
        hint: `check ${which} against \`upscale providers\`; --dry-run shows what is sent`,
      });
    }
  }
  if ((status === 404 || status === 405) && what !== 'status request') {
    // A submit or a list has a fixed path: a 404 there is a wrong API root, not a missing task.
    return new UpscaleError(
      'UNKNOWN_ENDPOINT',
      `${safeHost(baseUrl)} has no ${provider.id} ${what} endpoint (HTTP ${status}${said})`,
      {
        status,
        hint: `check --base-url or ${provider.api.baseUrlEnv}: the API root, e.g. ${provider.api.defaultBaseUrl}; nothing was created`,
      },
    );
  }
  if (status === 404) {
    return new UpscaleError('TASK_NOT_FOUND', `${provider.id} does not know this task (HTTP 404${said})`, {
      status,
      hint: 'the task id may be wrong or expired, or belong to another provider (-p) or --base-url',
    });
  }
  const saysQuota = (text: string) => provider.api.speaksOfQuota(text);
  if (res.quota || isQuotaAnswer(status, res.headers, res.text, undefined, saysQuota)) {
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
      hint: 'lower --rate-limit (or --concurrency) and run the same command again: what is done is skipped',
    });
  }
  return new UpscaleError('HTTP', `${safeHost(baseUrl)} answered the ${what} with HTTP ${status}${said}`, {
    status,
    hint: 'the provider may be having trouble: run the same command again later',
  });
}
