/** One HTTP client and the connection to the chosen provider, shared by the CLI session and the API. */
import { HttpClient, type RetryEvent } from '../http/client.js';
import type { ResolvedOptions } from '../options.js';
import type { Connection } from '../run/provider-api.js';

export interface ConnectionHooks {
  readonly onRetry?: ((event: RetryEvent) => void) | undefined;
  readonly onLog?: ((line: string) => void) | undefined;
  /** Values to redact from every logged line (API keys). */
  readonly secrets?: readonly string[];
}

export function connect(options: ResolvedOptions, hooks: ConnectionHooks = {}): Connection {
  const client = new HttpClient({
    timeouts: {
      connectMs: Math.min(10_000, options.requestTimeoutMs),
      headersMs: options.requestTimeoutMs,
      bodyMs: options.requestTimeoutMs,
    },
    ...(hooks.onRetry ? { onRetry: hooks.onRetry } : {}),
    ...(hooks.onLog ? { onLog: hooks.onLog } : {}),
    secrets: hooks.secrets ?? (options.apiKey ? [options.apiKey] : []),
  });
  return {
    provider: options.provider,
    baseUrl: options.baseUrl,
    apiKey: options.apiKey ?? '',
    authStyle: options.authStyle,
    client,
  };
}
