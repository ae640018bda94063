/** One HTTP client and the connection to the chosen provider, shared by the CLI session and the API. */
import { describeRateLimit, type RateLimit, type RequestBudget, sharedBudget } from '../http/budget.js';
import { HttpClient, type RetryEvent, safeHost } from '../http/client.js';
import type { RemoteOptions, ResolvedOptions } from '../options.js';
import type { Connection } from '../run/provider-api.js';

export type { HttpClient } from '../http/client.js';
export type { Connection } from '../run/provider-api.js';

export interface ConnectionHooks {
  readonly onRetry?: ((event: RetryEvent) => void) | undefined;
  readonly onLog?: ((line: string) => void) | undefined;
  /** Values to redact from every logged line (API keys). */
  readonly secrets?: readonly string[];
  /** Requests wait for the key's budget until this time (ms since epoch). */
  readonly onBudgetWait?: ((until: number) => void) | undefined;
}

/**
 * What a run reaches the network with: one HTTP client (URL inputs, downloads) and, for a provider
 * with an HTTP API and a key, the connection to that API (none for an in-process engine, nor under
 * --dry-run without a key).
 */
export interface Link {
  readonly client: HttpClient;
  readonly connection: Connection | undefined;
  /** Stops listening to the budget and closes the client. */
  close(): Promise<void>;
}

export function connect(options: ResolvedOptions, hooks: ConnectionHooks = {}): Link {
  const { remote } = options;
  const client = new HttpClient({
    timeouts: {
      connectMs: Math.min(10_000, options.requestTimeoutMs),
      headersMs: options.requestTimeoutMs,
      bodyMs: options.requestTimeoutMs,
    },
    ...(hooks.onRetry ? { onRetry: hooks.onRetry } : {}),
    ...(hooks.onLog ? { onLog: hooks.onLog } : {}),
    secrets: hooks.secrets ?? (remote?.apiKey ? [remote.apiKey] : []),
  });
  const connection =
    remote?.apiKey === undefined ? undefined : connectionTo(remote, remote.apiKey, client, options, hooks);
  // A provider's API is called at once: undici loads while the run starts (a local run never loads it).
  if (connection) client.preload();
  return {
    client,
    connection,
    close: async () => {
      connection?.release?.();
      await client.close();
    },
  };
}

function connectionTo(
  remote: RemoteOptions,
  apiKey: string,
  client: HttpClient,
  options: ResolvedOptions,
  hooks: ConnectionHooks,
): Connection {
  const { budget, release } = budgetOf(remote, apiKey, options.timeoutMs, hooks);
  return {
    provider: remote.provider,
    baseUrl: remote.baseUrl,
    apiKey,
    authStyle: remote.authStyle,
    authForced: remote.authForced,
    client,
    ...(budget ? { budget, release } : {}),
  };
}

/** One budget per API key and host in this process: every connection to them shares it. */
function budgetOf(
  remote: RemoteOptions,
  apiKey: string,
  timeoutMs: number,
  hooks: ConnectionHooks,
): { budget?: RequestBudget; release?: () => void } {
  const rate: RateLimit | undefined = remote.rateLimit;
  if (!rate) return {};
  const key = `${safeHost(remote.baseUrl)}\u0000${apiKey}`;
  const budget = sharedBudget(key, rate, remote.rateLimitExplicit);
  // No request waits for the budget longer than a whole task may take.
  budget.bound(timeoutMs);
  const release = budget.listen({
    onLearn: (learned, source) =>
      hooks.onLog?.(
        `rate limit of ${safeHost(remote.baseUrl)}: ${describeRateLimit(learned)} (from ${source})`,
      ),
    ...(hooks.onBudgetWait ? { onWait: hooks.onBudgetWait } : {}),
  });
  return { budget, release };
}
