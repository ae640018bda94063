/**
 * The CLI's one job with options: flags as commander gives them (text) → the library's typed
 * OptionValues. Each number is read by its rule in NUMBER_OPTIONS, so a bad one names its flag.
 */
import {
  amountOf,
  NUMBER_OPTIONS,
  type NumberOptionKey,
  numberFromFlag,
  type OptionValues,
} from '../options.js';

/** The flags that become OptionValues. */
export interface OptionFlags {
  readonly provider?: string;
  readonly apiKey?: string;
  readonly baseUrl?: string;
  readonly keyHeader?: string;
  readonly rateLimit?: string;
  readonly pollInterval?: string;
  readonly timeout?: string;
  readonly requestTimeout?: string;
  readonly concurrency?: string;
  readonly dryRun?: boolean;
  readonly format?: string;
  readonly quality?: string;
  readonly stripMetadata?: boolean;
  readonly background?: string;
  readonly fit?: boolean;
  readonly width?: string;
  readonly height?: string;
  readonly maxCost?: string;
}

/** The flag that gives each number (`--timeout` gives `timeoutMs`). */
const NUMBER_FLAGS = {
  pollIntervalMs: 'pollInterval',
  timeoutMs: 'timeout',
  requestTimeoutMs: 'requestTimeout',
  quality: 'quality',
  width: 'width',
  height: 'height',
  concurrency: 'concurrency',
  maxCost: 'maxCost',
} as const satisfies Record<NumberOptionKey, keyof OptionFlags>;

/** Typed options from the flags; `params` are the provider's own flags, checked by the library. */
export function optionValuesOf(
  flags: OptionFlags,
  params: Readonly<Record<string, string>> = {},
): OptionValues {
  const numbers: Partial<Record<NumberOptionKey, number>> = {};
  for (const key of Object.keys(NUMBER_OPTIONS) as NumberOptionKey[]) {
    const text = flags[NUMBER_FLAGS[key]];
    if (text !== undefined) numbers[key] = numberFromFlag(key, text);
  }
  const maxCostCurrency = flags.maxCost === undefined ? undefined : amountOf(flags.maxCost).currency;
  const { provider, apiKey, baseUrl, keyHeader, rateLimit, dryRun, format, stripMetadata, background, fit } =
    flags;
  const text = {
    provider,
    apiKey,
    baseUrl,
    keyHeader,
    rateLimit,
    dryRun,
    format,
    stripMetadata,
    background,
    fit,
  };
  return {
    ...Object.fromEntries(Object.entries(text).filter(([, value]) => value !== undefined)),
    ...numbers,
    ...(maxCostCurrency ? { maxCostCurrency } : {}),
    ...(Object.keys(params).length > 0 ? { params } : {}),
  };
}
