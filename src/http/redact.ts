/** Keys never leave through logs or messages. Kept apart from the client so the CLI's start-up does not load undici. */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) if (secret.length >= 4) out = out.split(secret).join('***');
  return out;
}
