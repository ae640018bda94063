/** One HTTP client and the connection to the chosen provider, shared by the CLI session and the API. */
import { describeRateLimit, type RateLimit, type RequestBudget, sharedBudget } from '../http/budget.js';
import { HttpClient, type RetryEvent, safeHost } from '../http/client.js';
import type { ResolvedOptions } from '../options.js';
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
  const { budget, release } = budgetOf(options, hooks);
  return {
    provider: options.provider,
    baseUrl: options.baseUrl,
    apiKey: options.apiKey ?? '',
    authStyle: options.authStyle,
    authForced: options.authForced,
    client,
    ...(budget ? { budget, release } : {}),
  };
}

/** One budget per API key and host in this process: every connection to them shares it. */
function budgetOf(
  options: ResolvedOptions,
  hooks: ConnectionHooks,
): { budget?: RequestBudget; release?: () => void } {
  const rate: RateLimit | undefined = options.rateLimit;
  if (!rate || !options.apiKey) return {};
  const key = `${safeHost(options.baseUrl)}\u0000${options.apiKey}`;
  const budget = sharedBudget(key, rate, options.rateLimitExplicit);
  // No request waits for the budget longer than a whole task may take.
  budget.bound(options.timeoutMs);
  const release = budget.listen({
    onLearn: (learned, source) =>
      hooks.onLog?.(
        `rate limit of ${safeHost(options.baseUrl)}: ${describeRateLimit(learned)} (from ${source})`,
      ),
    ...(hooks.onBudgetWait ? { onWait: hooks.onBudgetWait } : {}),
  });
  return { budget, release };
}
