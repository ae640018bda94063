/** Recognises network failures by walking `cause` for Node/undici error codes. */
import { causeChain } from '../errors.js';

const CONNECT_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
]);

const NETWORK_CODES = new Set([
  ...CONNECT_CODES,
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_RES_CONTENT_LENGTH_MISMATCH',
  'UND_ERR_REQ_CONTENT_LENGTH_MISMATCH',
]);

function codesOf(error: unknown): string[] {
  return causeChain(error).flatMap((e) => {
    const code = (e as { code?: unknown }).code;
    return typeof code === 'string' ? [code] : [];
  });
}

export function networkErrorCode(error: unknown): string | undefined {
  return codesOf(error).find((c) => NETWORK_CODES.has(c));
}

/** A failure to connect: the request never reached the server. */
export function isConnectError(error: unknown): boolean {
  return codesOf(error).some((c) => CONNECT_CODES.has(c));
}

export function isNetworkError(error: unknown): boolean {
  return networkErrorCode(error) !== undefined;
}
