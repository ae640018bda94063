/** Keys never leave through logs or messages. Kept apart from the client so the CLI's start-up does not load undici. */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) if (secret.length >= 4) out = out.split(secret).join('***');
  return out;
}

/**
 * Query parameters a log line keeps: the API's own, which say which task or page was asked for.
 * Every other value is hidden: result URLs are signed (`?token=`, `X-Amz-Signature=`, `sig=`…),
 * and the lines of `--verbose` are what users are asked to post.
 */
const KEPT_QUERY = new Set(['task_id', 'page', 'per_page']);

function redactQuery(query: string): string {
  const params = query
    .slice(1)
    .split('&')
    .map((param) => {
      const eq = param.indexOf('=');
      if (eq < 0) return param;
      const name = param.slice(0, eq);
      return KEPT_QUERY.has(name.toLowerCase()) ? param : `${name}=***`;
    });
  return `?${params.join('&')}`;
}

/** A URL's `user:pass@` and the values of its signing query parameters, hidden (see KEPT_QUERY). */
const URL_PARTS = /\b(https?:\/\/)([^\s/?#@]*@)?([^\s?#]*)(\?[^\s#]*)?/gi;

/** A log line with its keys hidden, and every URL in it without credentials or signatures. */
export function redactLog(text: string, secrets: readonly string[]): string {
  return redact(text, secrets).replace(
    URL_PARTS,
    (_all, scheme: string, userinfo: string | undefined, rest: string, query: string | undefined) =>
      `${scheme}${userinfo ? '***@' : ''}${rest}${query ? redactQuery(query) : ''}`,
  );
}

/**
 * A URL without its `user:pass@`: what may be stored (the ledger keeps the API root of each
 * entry, in output folders that CI caches). Text that is no URL is returned as it is.
 */
export function withoutCredentials(url: string): string {
  try {
    const parsed = new URL(url);
    if (!parsed.username && !parsed.password) return url;
    parsed.username = '';
    parsed.password = '';
    return url.endsWith('/') ? parsed.href : parsed.href.replace(/\/$/, '');
  } catch {
    return url;
  }
}
