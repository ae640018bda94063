/**
 * Freepik/Magnific (and the Comfy proxy) sign webhook calls the Standard Webhooks way: headers
 * `webhook-id`, `webhook-timestamp` and `webhook-signature`, the last a space-separated list of
 * `v1,<base64 HMAC-SHA256 of "id.timestamp.body">` entries, any one of which may match.
 *
 * The key: the secret's UTF-8 bytes (what the emulator and docs/providers.md describe). A Standard
 * Webhooks secret `whsec_<base64>` is also tried with its decoded bytes, so either spelling works.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export interface FreepikWebhook {
  /** `webhook-id` header. */
  readonly id: string;
  /** `webhook-timestamp` header: Unix seconds. */
  readonly timestamp: string | number;
  /** The raw request body, exactly as received (not re-serialized JSON). */
  readonly body: string | Uint8Array;
  /** `webhook-signature` header. */
  readonly signature: string;
  readonly secret: string;
  /** Refuse calls signed longer ago than this (replay protection); unset: any age. */
  readonly maxAgeSeconds?: number;
  /** Unix seconds now (tests); default the clock. */
  readonly now?: number;
}

export type WebhookCheck = { readonly valid: true } | { readonly valid: false; readonly reason: string };

/** The keys a secret may stand for: its UTF-8 bytes, and for `whsec_<base64>` the decoded bytes. */
function keysOf(secret: string): Buffer[] {
  const keys = [Buffer.from(secret, 'utf8')];
  const encoded = /^whsec_([A-Za-z0-9+/]+={0,2})$/.exec(secret)?.[1];
  if (encoded && encoded.length % 4 === 0) keys.push(Buffer.from(encoded, 'base64'));
  return keys;
}

/** Checks a webhook call and says why it is refused. */
export function checkFreepikWebhook(call: FreepikWebhook): WebhookCheck {
  const timestamp = String(call.timestamp).trim();
  if (!/^\d+$/.test(timestamp)) return { valid: false, reason: 'the timestamp is not Unix seconds' };
  if (call.maxAgeSeconds !== undefined) {
    const now = call.now ?? Math.floor(Date.now() / 1000);
    if (Math.abs(now - Number(timestamp)) > call.maxAgeSeconds)
      return { valid: false, reason: `the timestamp is more than ${call.maxAgeSeconds} s away from now` };
  }
  const body = typeof call.body === 'string' ? Buffer.from(call.body, 'utf8') : Buffer.from(call.body);
  const signed = Buffer.concat([Buffer.from(`${call.id}.${timestamp}.`, 'utf8'), body]);
  const expected = keysOf(call.secret).map((key) => createHmac('sha256', key).update(signed).digest());
  const offered = call.signature
    .split(' ')
    .filter((entry) => entry.startsWith('v1,'))
    .map((entry) => Buffer.from(entry.slice(3), 'base64'));
  if (offered.length === 0) return { valid: false, reason: 'the signature has no v1 entry' };
  const matches = offered.some((sig) =>
    expected.some((mac) => sig.length === mac.length && timingSafeEqual(sig, mac)),
  );
  return matches ? { valid: true } : { valid: false, reason: 'no signature entry matches the secret' };
}

/** True when the call was signed with `secret` (constant-time comparison). */
export function verifyFreepikWebhook(call: FreepikWebhook): boolean {
  return checkFreepikWebhook(call).valid;
}
