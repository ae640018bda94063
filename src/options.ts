/**
 * Typed options + environment + stored config → the options a run uses, checked once. Pure: the
 * environment and the config are passed in, so every rule here is tested by table. The CLI's only
 * part is reading flags into OptionValues (src/cli/flag-values.ts) with NUMBER_OPTIONS below.
 * Precedence: option (flag) > environment > stored config > provider default.
 */
import { UpscaleError, usageError } from './errors.js';
import { formatOfExtension, OUTPUT_FORMATS } from './formats.js';
import { parseRateLimit, type RateLimit } from './http/budget.js';
import type { OutputOptions } from './image/output-options.js';
import { flagOf, getProvider, isProviderId, PROVIDER_IDS, providersWithParam } from './providers/index.js';
import { keyConfigCommand, keyConfigKeys, keyEnvText } from './providers/key-sources.js';
import {
  type AuthStyle,
  type HttpProvider,
  hasHttpApi,
  ParamError,
  type ParamSpec,
  type ParamValue,
  type ParamValues,
  type Provider,
} from './providers/types.js';

export type Env = Readonly<Record<string, string | undefined>>;

/** Read access to the stored configuration (`upscale config set …`). */
export interface ConfigReader {
  get(key: string): unknown;
}

/**
 * What the library is given, typed. Names it checks against the provider (provider id, key header,
 * output format, rate) are text here; the public UpscaleOptions narrows them to their unions.
 */
export interface OptionValues {
  readonly provider?: string;
  readonly apiKey?: string;
  /** The provider's API root (default: its public one, or its variable). */
  readonly baseUrl?: string;
  readonly keyHeader?: string;
  /**
   * The provider's own flags by key, as `upscale providers` lists them, e.g.
   * `{ scale: 4, engine: 'sparkle', optimizedFor: 'films_n_photography' }`; each value is checked
   * as it is given (ParamSpec.check): a number as a number, never through text; text for a number
   * (`scale: '4x'`, as the command line gives it) is read once, as the flag's would be.
   */
  readonly params?: ParamValues;
  /** First wait between status polls; grows with the task's age (default 800). */
  readonly pollIntervalMs?: number;
  /** Longest one task may take (default 30 min). */
  readonly timeoutMs?: number;
  /** Longest wait for one answer from a server (default 60 s). */
  readonly requestTimeoutMs?: number;
  /** Check and price every input, send nothing: results have `status: 'planned'`, `request` and `cost`. */
  readonly dryRun?: boolean;
  readonly format?: string;
  /** JPEG/WebP/AVIF quality when the output is encoded, 1–100. */
  readonly quality?: number;
  /** Drop the input's EXIF, XMP, IPTC and ICC profile (default: carried over). */
  readonly stripMetadata?: boolean;
  /** Colour under transparency when the format has none (`#rrggbb`, `#rgb`, white, black). */
  readonly background?: string;
  /** Downscale an input just enough for the provider's output limit instead of refusing it. */
  readonly fit?: boolean;
  /** Output size in pixels: the smallest scale that reaches it, then resized down exactly. */
  readonly width?: number;
  readonly height?: number;
  /** Refuse (UpscaleError COST_LIMIT) to start when the estimated total is above this amount. */
  readonly maxCost?: number;
  /** The currency `maxCost` was given in (`$5` → USD), when it named one: another than the prices' is refused. */
  readonly maxCostCurrency?: string;
  /** API requests allowed per key: `50/min`, `20/3s` or `off` (default: the provider's). */
  readonly rateLimit?: string;
  /** Tasks in flight at once, 1–64 (default: as many as the request budget keeps busy). */
  readonly concurrency?: number;
}

/** What a number must be; each option's rule is written once, in NUMBER_OPTIONS. */
type NumberRule =
  | { readonly kind: 'whole'; readonly min: number; readonly max: number; readonly example?: number }
  | { readonly kind: 'positive'; readonly unit: 'milliseconds' | 'seconds'; readonly example: number }
  | { readonly kind: 'amount' };

interface NumberOption {
  /** In `unit`s on the command line (`--timeout` in seconds for `timeoutMs`; src/cli/flags.ts names the flags). */
  readonly rule: NumberRule;
  /** Milliseconds per unit of the flag, for a time given in seconds. */
  readonly msPerUnit?: number;
}

/** Below 1 s, so a finished task is noticed within 1 s + 15 % of its age; a 60 s task takes 18 polls. */
export const DEFAULT_POLL_INTERVAL_MS = 800;
export const DEFAULT_TIMEOUT_S = 1800;
export const DEFAULT_REQUEST_TIMEOUT_S = 60;

/** Every number the library takes and what it accepts: the CLI (src/cli/flag-values.ts) and the library read this. */
export const NUMBER_OPTIONS = {
  pollIntervalMs: { rule: { kind: 'positive', unit: 'milliseconds', example: DEFAULT_POLL_INTERVAL_MS } },
  timeoutMs: { msPerUnit: 1000, rule: { kind: 'positive', unit: 'seconds', example: DEFAULT_TIMEOUT_S } },
  requestTimeoutMs: {
    msPerUnit: 1000,
    rule: { kind: 'positive', unit: 'seconds', example: DEFAULT_REQUEST_TIMEOUT_S },
  },
  quality: { rule: { kind: 'whole', min: 1, max: 100 } },
  width: { rule: { kind: 'whole', min: 1, max: 100_000 } },
  height: { rule: { kind: 'whole', min: 1, max: 100_000 } },
  concurrency: { rule: { kind: 'whole', min: 1, max: 64, example: 8 } },
  maxCost: { rule: { kind: 'amount' } },
} as const satisfies Record<string, NumberOption>;

export type NumberOptionKey = keyof typeof NUMBER_OPTIONS;

function accepts(rule: NumberRule, value: number): boolean {
  if (rule.kind === 'whole') return Number.isInteger(value) && value >= rule.min && value <= rule.max;
  if (rule.kind === 'positive') return Number.isFinite(value) && value > 0;
  return Number.isFinite(value) && value >= 0;
}

function mustBe(rule: NumberRule, unit?: string): string {
  if (rule.kind === 'whole') return `must be a whole number from ${rule.min} to ${rule.max}`;
  if (rule.kind === 'positive') return `must be a positive number of ${unit ?? rule.unit}`;
  return 'must be an amount (e.g. 2.50)';
}

function exampleOf(rule: NumberRule): number {
  if (rule.kind === 'whole') return rule.example ?? Math.min(rule.max, 90);
  return rule.kind === 'positive' ? rule.example : 5;
}

const CURRENCY_WORDS: Readonly<Record<string, string>> = { '€': 'EUR', $: 'USD', EUR: 'EUR', USD: 'USD' };

/** `€5`, `$5`, `5 EUR`, `USD 5`, `5`: the amount's text and the currency it names, if any. */
export function amountOf(text: string): { amount: string; currency?: string } {
  const match = /^\s*(€|\$|EUR|USD)?\s*([^€$\sA-Z]*)\s*(€|\$|EUR|USD)?\s*$/i.exec(text);
  const named = match?.[1] ?? match?.[3];
  if (!match?.[2] || (match[1] && match[3])) return { amount: text };
  return {
    amount: match[2] ?? '',
    ...(named ? { currency: CURRENCY_WORDS[named.toUpperCase()] ?? named } : {}),
  };
}

/** A flag's text as its option's value (`--timeout 90` → 90000 ms); a usage error naming the flag. */
export function numberFromFlag(key: NumberOptionKey, text: string, flag: string): number {
  const option: NumberOption = NUMBER_OPTIONS[key];
  const { rule } = option;
  const value = Number(rule.kind === 'amount' ? amountOf(text).amount : text);
  const wellFormed = rule.kind === 'whole' ? /^\s*\d+\s*$/.test(text) : text.trim() !== '';
  if (!wellFormed || !accepts(rule, value))
    throw usageError(`${flag} ${JSON.stringify(text)} ${mustBe(rule)}`, `e.g. ${flag} ${exampleOf(rule)}`);
  return value * (option.msPerUnit ?? 1);
}

/** A typed value checked by the same rule; a usage error naming the option. */
export function checkedNumber(key: NumberOptionKey, value: number): number;
export function checkedNumber(key: NumberOptionKey, value: number | undefined): number | undefined;
export function checkedNumber(key: NumberOptionKey, value: number | undefined): number | undefined {
  if (value === undefined) return undefined;
  const option: NumberOption = NUMBER_OPTIONS[key];
  const perUnit = option.msPerUnit ?? 1;
  if (!accepts(option.rule, value / perUnit)) {
    const unit = option.rule.kind === 'positive' ? 'milliseconds' : undefined;
    throw usageError(
      `${key} ${value} ${mustBe(option.rule, unit)}`,
      `e.g. ${key}: ${exampleOf(option.rule) * perUnit}`,
    );
  }
  return value;
}

export interface ResolvedOptions {
  readonly provider: Provider;
  readonly params: Readonly<Record<string, ParamValue>>;
  /** How the provider's API is reached; undefined for a provider without one (an in-process engine). */
  readonly remote: RemoteOptions | undefined;
  readonly pollIntervalMs: number;
  readonly timeoutMs: number;
  /** Per request: the longest wait for an answer's headers, and between two chunks of its body. */
  readonly requestTimeoutMs: number;
  /** Format, quality, metadata, background and size of the outputs. */
  readonly output: OutputOptions;
  /** `--max-cost`: the run is refused when its estimated total is above it. */
  readonly maxCost: number | undefined;
  /** The currency `--max-cost` named (`€`, `$`, `EUR`, `USD`), if any. */
  readonly maxCostCurrency: string | undefined;
  /** Tasks in flight at once, when given (else the run picks it from the budget). */
  readonly concurrency: number | undefined;
}

/** Where and how a provider with an HTTP API is reached: root, key, key header and request budget. */
export interface RemoteOptions {
  readonly provider: HttpProvider;
  /** Undefined only under --dry-run, which sends nothing. */
  readonly apiKey: string | undefined;
  readonly baseUrl: string;
  readonly authStyle: AuthStyle;
  /** The header was chosen by the user (`--key-header`, config): no other is tried after a 401. */
  readonly authForced: boolean;
  /** The request budget per key and host; undefined with `--rate-limit off`. */
  readonly rateLimit: RateLimit | undefined;
  /** The user set the rate (flag, variable or config): the server's headers may only lower it. */
  readonly rateLimitExplicit: boolean;
}

/** Every provider-specific flag key, across all providers (commander registers each once). */
export function allParamKeys(): string[] {
  return [...new Set(PROVIDER_IDS.flatMap((id) => getProvider(id).params.map((p) => p.key)))];
}

function stringConfig(config: ConfigReader, key: string): string | undefined {
  const value = config.get(key);
  return typeof value === 'string' && value !== '' ? value : undefined;
}

export function resolveProvider(values: OptionValues, config: ConfigReader): Provider {
  const id = (values.provider ?? stringConfig(config, 'provider') ?? 'freepik').toLowerCase();
  if (!isProviderId(id)) {
    throw usageError(
      `--provider: unknown provider "${id}"`,
      `use one of ${PROVIDER_IDS.join(', ')} (see \`upscale providers\`)`,
    );
  }
  return getProvider(id);
}

/** Other providers whose same flag takes this value (`--scale 3x`: the precision v2 products, local). */
function providersTaking(key: string, value: ParamValue, except: string): string[] {
  return PROVIDER_IDS.filter((id) => {
    if (id === except) return false;
    const spec = getProvider(id).params.find((p) => p.key === key);
    if (!spec) return false;
    try {
      spec.check(value);
      return true;
    } catch {
      return false;
    }
  });
}

/** Checks the provider's own flags, given typed (ParamSpec.check); one of other providers is refused by name. */
export function resolveParams(provider: Provider, given: ParamValues = {}): Record<string, ParamValue> {
  return readParams(provider, given, (spec, value) => spec.check(value));
}

/**
 * The provider's own flags as the command line gives them (text) → typed values, each read once
 * by its spec's parse: the CLI's edge; normalizeOptions then checks typed values. The same
 * refusals and messages as resolveParams.
 */
export function paramsFromFlags(
  provider: Provider,
  texts: Readonly<Record<string, string>>,
): Record<string, ParamValue> {
  return readParams(provider, texts, (spec, text) => spec.parse(text));
}

function readParams<V extends ParamValue>(
  provider: Provider,
  given: Readonly<Record<string, V>>,
  read: (spec: ParamSpec, value: V) => ParamValue,
): Record<string, ParamValue> {
  const params: Record<string, ParamValue> = {};
  for (const key of allParamKeys()) {
    const value = given[key];
    if (value === undefined) continue;
    const spec = provider.params.find((p) => p.key === key);
    if (!spec) {
      const flag = flagOf(key);
      const refusal = provider.refuses?.[key];
      if (refusal) throw usageError(`${flag} does not apply to ${provider.id}: ${refusal.why}`, refusal.hint);
      const owners = providersWithParam(key);
      throw usageError(
        `${flag} does not apply to ${provider.id}; it belongs to ${owners.join(', ')}`,
        `drop ${flag}, or choose one of those with -p`,
      );
    }
    try {
      params[key] = read(spec, value);
    } catch (error) {
      if (!(error instanceof ParamError)) throw error;
      const elsewhere = providersTaking(key, value, provider.id);
      throw usageError(
        `${flagOf(key)} ${JSON.stringify(String(value))} ${error.message} (${provider.id})`,
        `valid: ${spec.valid}${elsewhere.length > 0 ? `; ${String(value)} works with -p ${elsewhere.join(', ')}` : ''}`,
      );
    }
  }
  return params;
}

function resolveBaseUrl(
  provider: HttpProvider,
  values: OptionValues,
  env: Env,
  config: ConfigReader,
): string {
  const value =
    values.baseUrl ??
    env[provider.api.baseUrlEnv] ??
    stringConfig(config, `${provider.api.configSection}.baseUrl`) ??
    provider.api.defaultBaseUrl;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw usageError(`--base-url "${value}" is not a URL`, `e.g. ${provider.api.defaultBaseUrl}`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw usageError(`--base-url "${value}" must be an http(s) URL`, `e.g. ${provider.api.defaultBaseUrl}`);
  }
  return url.href.replace(/\/+$/, '');
}

/** Three base64url parts separated by dots: a signed-in user's token, not an API key. */
export function looksLikeJwt(key: string): boolean {
  return /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(key.trim());
}

/**
 * The header the key goes in: `--key-header`, else `<section>.keyHeader`, else by the key's shape
 * where the provider takes both (Comfy: a JWT as `Authorization: Bearer`, an API key as
 * `X-API-KEY`, as Comfy's own client sends them), else the provider's first style.
 */
function resolveAuthStyle(
  provider: HttpProvider,
  values: OptionValues,
  config: ConfigReader,
  apiKey: string | undefined,
): AuthStyle {
  const wanted = values.keyHeader ?? stringConfig(config, `${provider.api.configSection}.keyHeader`);
  if (wanted === undefined) {
    const styles = provider.api.authStyles;
    if (apiKey && styles.includes('bearer') && styles.includes('x-api-key'))
      return looksLikeJwt(apiKey) ? 'bearer' : 'x-api-key';
    return styles[0]!;
  }
  const style = provider.api.authStyles.find((s) => s === wanted.toLowerCase());
  if (!style) {
    const where =
      values.keyHeader !== undefined ? '--key-header' : `config ${provider.api.configSection}.keyHeader`;
    throw usageError(
      `${where} "${wanted}" is not accepted by ${provider.id}`,
      `use one of ${provider.api.authStyles.join(', ')}`,
    );
  }
  return style;
}

/**
 * The API key by precedence: the flag, then each of the provider's variables, then each config key
 * (every variable wins over every stored key, as docs/cli.md says).
 */
export function resolveApiKey(
  provider: HttpProvider,
  values: Pick<OptionValues, 'apiKey'>,
  env: Env,
  config: ConfigReader,
): string | undefined {
  const candidates = [
    values.apiKey,
    ...provider.api.keyEnvs.map((name) => env[name]),
    ...keyConfigKeys(provider).map((key) => stringConfig(config, key)),
  ];
  return candidates.find((key) => key !== undefined && key.trim() !== '')?.trim();
}

export function missingKeyError(provider: HttpProvider): UpscaleError {
  return new UpscaleError('MISSING_KEY', `no API key for ${provider.id}`, {
    hint: `pass --api-key <key>, set ${keyEnvText(provider)}, or run \`${keyConfigCommand(provider)}\``,
  });
}

const COLOUR = /^(#([0-9a-f]{3}|[0-9a-f]{4}|[0-9a-f]{6}|[0-9a-f]{8})|white|black|gr[ae]y)$/i;

/** `--format`, `--quality`, `--strip-metadata`, `--background`, `--fit`, `--width`, `--height`. */
export function resolveOutputOptions(
  values: OptionValues,
  provider: Provider,
  params: ParamValues,
): OutputOptions {
  let format: OutputOptions['format'];
  if (values.format !== undefined) {
    const name = values.format.trim().toLowerCase();
    const known = name === 'keep' ? 'keep' : formatOfExtension(name);
    if (known === undefined || (known !== 'keep' && !(OUTPUT_FORMATS as readonly string[]).includes(known)))
      throw usageError(
        `--format "${values.format}" is not an output format`,
        `use keep, ${OUTPUT_FORMATS.join(', ')}`,
      );
    format = known;
  }
  const background = values.background?.trim();
  if (background !== undefined && !COLOUR.test(background))
    throw usageError(
      `--background "${values.background}" is not a colour`,
      'use #rrggbb, #rgb, white or black',
    );
  const width = checkedNumber('width', values.width);
  const height = checkedNumber('height', values.height);
  const quality = checkedNumber('quality', values.quality);
  if ((width !== undefined || height !== undefined) && params.scale !== undefined)
    throw usageError('--width/--height pick the scale themselves', 'drop --scale, or drop --width/--height');
  if ((width !== undefined || height !== undefined) && provider.limits.scales.length === 0)
    throw usageError(
      `--width/--height need a provider with known scale factors; ${provider.id} has none`,
      'pick a provider with --scale (see `upscale providers`)',
    );
  return {
    ...(format ? { format } : {}),
    ...(quality !== undefined ? { quality } : {}),
    ...(values.stripMetadata ? { stripMetadata: true } : {}),
    ...(background ? { background: background.toLowerCase() } : {}),
    ...(values.fit ? { fit: true } : {}),
    ...(width !== undefined ? { width } : {}),
    ...(height !== undefined ? { height } : {}),
  };
}

/**
 * `--rate-limit` > `UPSCALE_RATE_LIMIT` > `<section>.rateLimit` > the provider's default; `off`
 * turns the budget off.
 */
export function resolveRateLimit(
  provider: HttpProvider,
  values: OptionValues,
  env: Env,
  config: ConfigReader,
): RateLimit | undefined {
  const flag = values.rateLimit ?? env.UPSCALE_RATE_LIMIT;
  const text = flag ?? stringConfig(config, `${provider.api.configSection}.rateLimit`);
  if (text === undefined) return provider.api.defaultRateLimit;
  if (text.trim().toLowerCase() === 'off') return undefined;
  const parsed = parseRateLimit(text);
  if (!parsed) {
    const where =
      values.rateLimit !== undefined
        ? '--rate-limit'
        : flag !== undefined
          ? 'UPSCALE_RATE_LIMIT'
          : `config ${provider.api.configSection}.rateLimit`;
    throw usageError(`${where} "${text}" is not a rate`, 'e.g. --rate-limit 50/min, 20/3s or off');
  }
  return parsed;
}

/** A provider without an HTTP API has no key, host or header: those flags are refused rather than ignored. */
function refuseRemoteFlags(provider: Provider, values: OptionValues): void {
  for (const [flag, value] of [
    ['--api-key', values.apiKey],
    ['--base-url', values.baseUrl],
    ['--key-header', values.keyHeader],
  ] as const) {
    if (value !== undefined) {
      throw usageError(`${flag} does not apply to ${provider.id}: it runs on this machine`, `drop ${flag}`);
    }
  }
}

/** The API root, key, header and budget of a provider with an HTTP API. */
function resolveRemote(
  provider: HttpProvider,
  baseUrl: string,
  values: OptionValues,
  env: Env,
  config: ConfigReader,
): RemoteOptions {
  const apiKey = resolveApiKey(provider, values, env, config);
  const section = provider.api.configSection;
  return {
    provider,
    apiKey,
    baseUrl,
    authStyle: resolveAuthStyle(provider, values, config, apiKey),
    authForced: (values.keyHeader ?? stringConfig(config, `${section}.keyHeader`)) !== undefined,
    rateLimit: resolveRateLimit(provider, values, env, config),
    rateLimitExplicit:
      (values.rateLimit ?? env.UPSCALE_RATE_LIMIT ?? stringConfig(config, `${section}.rateLimit`)) !==
      undefined,
  };
}

/**
 * The one check of a run's options (ky's normalizeOptions): every value is checked and every
 * default filled in here, before anything is sent; a bad one is a usage UpscaleError.
 */
export function normalizeOptions(values: OptionValues, env: Env, config: ConfigReader): ResolvedOptions {
  const provider = resolveProvider(values, config);
  const params = resolveParams(provider, values.params);
  const http = hasHttpApi(provider) ? provider : undefined;
  if (!http) refuseRemoteFlags(provider, values);
  const baseUrl = http ? resolveBaseUrl(http, values, env, config) : undefined;
  const pollIntervalMs = checkedNumber('pollIntervalMs', values.pollIntervalMs) ?? DEFAULT_POLL_INTERVAL_MS;
  const timeoutMs = checkedNumber('timeoutMs', values.timeoutMs) ?? DEFAULT_TIMEOUT_S * 1000;
  const requestTimeoutMs =
    checkedNumber('requestTimeoutMs', values.requestTimeoutMs) ?? DEFAULT_REQUEST_TIMEOUT_S * 1000;
  const output = resolveOutputOptions(values, provider, params);
  const maxCost = checkedNumber('maxCost', values.maxCost);
  const concurrency = checkedNumber('concurrency', values.concurrency);
  const remote =
    http && baseUrl !== undefined ? resolveRemote(http, baseUrl, values, env, config) : undefined;
  if (remote && remote.apiKey === undefined && !values.dryRun) throw missingKeyError(remote.provider);
  return {
    provider,
    params,
    remote,
    pollIntervalMs,
    timeoutMs,
    requestTimeoutMs,
    output,
    maxCost,
    maxCostCurrency: values.maxCostCurrency,
    concurrency,
  };
}
