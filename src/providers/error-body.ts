/**
 * One reader for every error body the providers were seen sending: `{"message"}`, `{"detail"}`
 * (a string, or FastAPI's list of `{msg, loc}`), problem+json `{"message","invalid_params":[{"name"|
 * "field","reason"}]}` (flat or wrapped in `problem`), Comfy's `{"error":{"message","type"}}` and
 * `{"error","message"}`, and Novita's `{"code","reason","message","metadata"}` (whose `reason` may
 * be empty). Pure: it never throws on a wrong shape.
 */
import { asObject, asString, type JsonObject } from './json-shape.js';

export interface ErrorBody {
  /** The provider's own sentence, when it sent one. */
  readonly message?: string;
  /** A machine-readable cause (Novita's `reason`, Comfy's `error.type`), when sent and not empty. */
  readonly reason?: string;
  /** Fields the provider refused, with why. */
  readonly fields: readonly { readonly name: string; readonly reason: string }[];
}

function fieldsOf(body: JsonObject): { name: string; reason: string }[] {
  const fields: { name: string; reason: string }[] = [];
  const params = Array.isArray(body.invalid_params) ? body.invalid_params : [];
  for (const p of params) {
    const o = asObject(p);
    const name = asString(o?.name) ?? asString(o?.field);
    if (o && name) fields.push({ name, reason: asString(o.reason) ?? asString(o.message) ?? 'invalid' });
  }
  // FastAPI: {"detail":[{"loc":["body","scale_factor"],"msg":"…"}]}
  if (Array.isArray(body.detail)) {
    for (const d of body.detail) {
      const o = asObject(d);
      const loc = Array.isArray(o?.loc) ? o.loc.filter((x): x is string => typeof x === 'string') : [];
      const name = loc.filter((x) => x !== 'body').join('.');
      if (o && name) fields.push({ name, reason: asString(o.msg) ?? 'invalid' });
    }
  }
  return fields;
}

export function readErrorBody(json: unknown): ErrorBody {
  const root = asObject(json);
  const body = asObject(root?.problem) ?? root;
  if (!body) return { fields: [] };
  const error = asObject(body.error);
  const candidates = [
    asString(body.message),
    asString(error?.message),
    typeof body.detail === 'string' ? body.detail : undefined,
    asString(body.error),
    asString(body.title),
  ];
  const message = candidates.map((c) => c?.trim()).find((c) => c);
  const reason = [asString(body.reason), asString(error?.type)].map((r) => r?.trim()).find((r) => r);
  return {
    ...(message ? { message } : {}),
    ...(reason ? { reason } : {}),
    fields: fieldsOf(body),
  };
}

/** One line from a body: the refused fields if any, else the message, with the reason code. */
export function errorSentence(body: ErrorBody): string | undefined {
  const fields = body.fields.map((f) => `${f.name}: ${f.reason}`).join('; ');
  const text = fields ? `${body.message ?? 'invalid parameters'} (${fields})` : body.message;
  if (text && body.reason && !text.includes(body.reason)) return `${text} (${body.reason})`;
  return text ?? body.reason;
}

/** Words of a 429 that mean a daily or plan quota rather than a per-minute window. */
const QUOTA_TEXT = /dai|day|quota|plan|month/i;

/**
 * Whether a 429's text says the account's quota is spent (waiting will not help): how the
 * providers here word it (Freepik's "daily limit", plans and monthly quotas). A provider whose
 * words differ declares its own `speaksOfQuota`.
 */
export function speaksOfQuota(text: string): boolean {
  return QUOTA_TEXT.test(text);
}
