/**
 * Raw command-line flags + environment + stored config → one typed options object. Pure:
 * the environment and the config are passed in, so every rule here is tested by table.
 * Precedence: flag > environment > stored config > provider default.
 */
import { UpscaleError, usageError } from './errors.js';
import { formatOfExtension, OUTPUT_FORMATS } from './formats.js';
import { parseRateLimit, type RateLimit } from './http/budget.js';
import type { OutputOptions } from './image/output-options.js';
import { flagOf, getProvider, isProviderId, PROVIDER_IDS, providersWithParam } from './providers/index.js';
import { keyConfigCommand, keyConfigKeys, keyEnvText } from './providers/key-sources.js';
import {
  type AnyProvider,
  type AuthStyle,
  isLocalProvider,
  ParamError,
  type ParamValue,
  type ParamValues,
  type Provider,
} from './providers/types.js';

export type Env = Readonly<Record<string, string | undefined>>;

/** Read access to the stored configuration (`upscale config set …`). */
export interface ConfigReader {
  get(key: string): unknown;
}

export interface RawOptions {
  readonly provider?: string;
  readonly apiKey?: string;
  readonly baseUrl?: string;
  readonly keyHeader?: string;
  readonly pollInterval?: string;
  readonly timeout?: string;
  readonly requestTimeout?: string;
  readonly dryRun?: boolean;
  readonly format?: string;
  readonly quality?: string;
  readonly stripMetadata?: boolean;
  readonly background?: string;
  readonly fit?: boolean;
  readonly width?: string;
  readonly height?: string;
  readonly maxCost?: string;
  readonly rateLimit?: string;
  readonly [flag: string]: unknown;
}

export interface ResolvedOptions {
  readonly provider: AnyProvider;
  readonly params: Readonly<Record<string, ParamValue>>;
  /** Undefined only under --dry-run, which sends nothing. */
  readonly apiKey: string | undefined;
  readonly baseUrl: string;
  readonly authStyle: AuthStyle;
  /** The header was chosen by the user (`--key-header`, config): no other is tried after a 401. */
  readonly authForced: boolean;
  readonly pollIntervalMs: number;
  readonly timeoutMs: number;
  /** Per request: the longest wait for an answer's headers, and between two chunks of its body. */
  readonly requestTimeoutMs: number;
  /** Format, quality, metadata, background and size of the outputs. */
  readonly output: OutputOptions;
  /** `--max-cost`: the run is refused when its estimated total is above it. */
  readonly maxCost: number | undefined;
  /** The request budget per key and host; undefined with `--rate-limit off` (and for `local`). */
  readonly rateLimit: RateLimit | undefined;
  /** The user set the rate (flag, variable or config): the server's headers may only lower it. */
  readonly rateLimitExplicit: boolean;
}

/** Below 1 s, so a finished task is noticed within 1 s + 15 % of its age; a 60 s task takes 18 polls. */
export const DEFAULT_POLL_INTERVAL_MS = 800;
export const DEFAULT_TIMEOUT_S = 1800;
export const DEFAULT_REQUEST_TIMEOUT_S = 60;

/** Every provider-specific flag key, across all providers (commander registers each once). */
export function allParamKeys(): string[] {
  return [...new Set(PROVIDER_IDS.flatMap((id) => getProvider(id).params.map((p) => p.key)))];
}

function stringConfig(config: ConfigReader, key: string): string | undefined {
  const value = config.get(key);
  return typeof value === 'string' && value !== '' ? value : undefined;
}

export function resolveProvider(raw: RawOptions, config: ConfigReader): AnyProvider {
  const id = (raw.provider ?? stringConfig(config, 'provider') ?? 'freepik').toLowerCase();
  if (!isProviderId(id)) {
    throw usageError(
      `--provider: unknown provider "${id}"`,
      `use one of ${PROVIDER_IDS.join(', ')} (see \`upscale providers\`)`,
    );
  }
  return getProvider(id);
}

/** Other providers whose same flag takes this value (`--scale 3x`: the precision v2 products, local). */
function providersTaking(key: string, value: string, except: string): string[] {
  return PROVIDER_IDS.filter((id) => {
    if (id === except) return false;
    const spec = getProvider(id).params.find((p) => p.key === key);
    if (!spec) return false;
    try {
      spec.parse(value);
      return true;
    } catch {
      return false;
    }
  });
}

/** Parses the provider's own flags; a flag that belongs to other providers is refused by name. */
export function resolveParams(provider: AnyProvider, raw: RawOptions): Record<string, ParamValue> {
  const params: Record<string, ParamValue> = {};
  for (const key of allParamKeys()) {
    const value = raw[key];
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
      params[key] = spec.parse(String(value));
    } catch (error) {
      if (!(error instanceof ParamError)) throw error;
      const elsewhere = providersTaking(key, String(value), provider.id);
      throw usageError(
        `${flagOf(key)} ${JSON.stringify(String(value))} ${error.message} (${provider.id})`,
        `valid: ${spec.valid}${elsewhere.length > 0 ? `; ${String(value)} works with -p ${elsewhere.join(', ')}` : ''}`,
      );
    }
  }
  return params;
}

function positiveNumber(raw: string | undefined, flag: string, fallback: number, unit: string): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0)
    throw usageError(`${flag} "${raw}" must be a positive number of ${unit}`, `e.g. ${flag} ${fallback}`);
  return value;
}

function resolveBaseUrl(provider: Provider, raw: RawOptions, env: Env, config: ConfigReader): string {
  const value =
    raw.baseUrl ??
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
  provider: Provider,
  raw: RawOptions,
  config: ConfigReader,
  apiKey: string | undefined,
): AuthStyle {
  const wanted = raw.keyHeader ?? stringConfig(config, `${provider.api.configSection}.keyHeader`);
  if (wanted === undefined) {
    const styles = provider.api.authStyles;
    if (apiKey && styles.includes('bearer') && styles.includes('x-api-key'))
      return looksLikeJwt(apiKey) ? 'bearer' : 'x-api-key';
    return styles[0]!;
  }
  const style = provider.api.authStyles.find((s) => s === wanted.toLowerCase());
  if (!style) {
    const where =
      raw.keyHeader !== undefined ? '--key-header' : `config ${provider.api.configSection}.keyHeader`;
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
  provider: Provider,
  raw: RawOptions,
  env: Env,
  config: ConfigReader,
): string | undefined {
  const candidates = [
    raw.apiKey,
    ...provider.api.keyEnvs.map((name) => env[name]),
    ...keyConfigKeys(provider).map((key) => stringConfig(config, key)),
  ];
  return candidates.find((key) => key !== undefined && key.trim() !== '')?.trim();
}

export function missingKeyError(provider: Provider): UpscaleError {
  return new UpscaleError('MISSING_KEY', `no API key for ${provider.id}`, {
    hint: `pass --api-key <key>, set ${keyEnvText(provider)}, or run \`${keyConfigCommand(provider)}\``,
  });
}

function wholeNumber(raw: string | undefined, flag: string, min: number, max: number): number | undefined {
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!/^\s*\d+\s*$/.test(raw) || value < min || value > max)
    throw usageError(
      `${flag} "${raw}" must be a whole number from ${min} to ${max}`,
      `e.g. ${flag} ${Math.min(max, 90)}`,
    );
  return value;
}

const COLOUR = /^(#([0-9a-f]{3}|[0-9a-f]{4}|[0-9a-f]{6}|[0-9a-f]{8})|white|black|gr[ae]y)$/i;

/** `--format`, `--quality`, `--strip-metadata`, `--background`, `--fit`, `--width`, `--height`. */
export function resolveOutputOptions(
  raw: RawOptions,
  provider: AnyProvider,
  params: ParamValues,
): OutputOptions {
  let format: OutputOptions['format'];
  if (raw.format !== undefined) {
    const name = raw.format.trim().toLowerCase();
    const known = name === 'keep' ? 'keep' : formatOfExtension(name);
    if (known === undefined || (known !== 'keep' && !(OUTPUT_FORMATS as readonly string[]).includes(known)))
      throw usageError(
        `--format "${raw.format}" is not an output format`,
        `use keep, ${OUTPUT_FORMATS.join(', ')}`,
      );
    format = known;
  }
  const background = raw.background?.trim();
  if (background !== undefined && !COLOUR.test(background))
    throw usageError(`--background "${raw.background}" is not a colour`, 'use #rrggbb, #rgb, white or black');
  const width = wholeNumber(raw.width, '--width', 1, 100_000);
  const height = wholeNumber(raw.height, '--height', 1, 100_000);
  if ((width !== undefined || height !== undefined) && params.scale !== undefined)
    throw usageError('--width/--height pick the scale themselves', 'drop --scale, or drop --width/--height');
  if ((width !== undefined || height !== undefined) && provider.limits.scales.length === 0)
    throw usageError(
      `--width/--height need a provider with known scale factors; ${provider.id} has none`,
      'pick a provider with --scale (see `upscale providers`)',
    );
  return {
    ...(format ? { format } : {}),
    ...(raw.quality !== undefined ? { quality: wholeNumber(raw.quality, '--quality', 1, 100) } : {}),
    ...(raw.stripMetadata ? { stripMetadata: true } : {}),
    ...(background ? { background: background.toLowerCase() } : {}),
    ...(raw.fit ? { fit: true } : {}),
    ...(width !== undefined ? { width } : {}),
    ...(height !== undefined ? { height } : {}),
  };
}

/**
 * `--rate-limit` > `UPSCALE_RATE_LIMIT` > `<section>.rateLimit` > the provider's default; `off`
 * turns the budget off.
 */
export function resolveRateLimit(
  provider: Provider,
  raw: RawOptions,
  env: Env,
  config: ConfigReader,
): RateLimit | undefined {
  const flag = raw.rateLimit ?? env.UPSCALE_RATE_LIMIT;
  const text = flag ?? stringConfig(config, `${provider.api.configSection}.rateLimit`);
  if (text === undefined) return provider.api.defaultRateLimit;
  if (text.trim().toLowerCase() === 'off') return undefined;
  const parsed = parseRateLimit(text);
  if (!parsed) {
    const where =
      raw.rateLimit !== undefined
        ? '--rate-limit'
        : flag !== undefined
          ? 'UPSCALE_RATE_LIMIT'
          : `config ${provider.api.configSection}.rateLimit`;
    throw usageError(`${where} "${text}" is not a rate`, 'e.g. --rate-limit 50/min, 20/3s or off');
  }
  return parsed;
}

function resolveMaxCost(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const value = Number(raw.replace(/^[€$]/, ''));
  if (raw.trim() === '' || !Number.isFinite(value) || value < 0)
    throw usageError(`--max-cost "${raw}" must be an amount (e.g. 2.50)`, 'e.g. --max-cost 5');
  return value;
}

/** A local provider has no key, host or header: those flags are refused rather than ignored. */
function localOptions(provider: AnyProvider, raw: RawOptions): void {
  for (const [flag, value] of [
    ['--api-key', raw.apiKey],
    ['--base-url', raw.baseUrl],
    ['--key-header', raw.keyHeader],
  ] as const) {
    if (value !== undefined) {
      throw usageError(`${flag} does not apply to ${provider.id}: it runs on this machine`, `drop ${flag}`);
    }
  }
}

export function resolveOptions(raw: RawOptions, env: Env, config: ConfigReader): ResolvedOptions {
  const provider = resolveProvider(raw, config);
  const params = resolveParams(provider, raw);
  if (isLocalProvider(provider)) localOptions(provider, raw);
  const remote = isLocalProvider(provider) ? undefined : provider;
  const baseUrl = remote ? resolveBaseUrl(remote, raw, env, config) : '';

  const pollIntervalMs = positiveNumber(
    raw.pollInterval,
    '--poll-interval',
    DEFAULT_POLL_INTERVAL_MS,
    'milliseconds',
  );
  const timeoutMs = positiveNumber(raw.timeout, '--timeout', DEFAULT_TIMEOUT_S, 'seconds') * 1000;
  const requestTimeoutMs =
    positiveNumber(raw.requestTimeout, '--request-timeout', DEFAULT_REQUEST_TIMEOUT_S, 'seconds') * 1000;
  const output = resolveOutputOptions(raw, provider, params);
  const maxCost = resolveMaxCost(raw.maxCost);
  const apiKey = remote ? resolveApiKey(remote, raw, env, config) : undefined;
  const authStyle = remote ? resolveAuthStyle(remote, raw, config, apiKey) : 'bearer';
  const authForced =
    remote !== undefined &&
    (raw.keyHeader ?? stringConfig(config, `${remote.api.configSection}.keyHeader`)) !== undefined;
  const rateLimit = remote ? resolveRateLimit(remote, raw, env, config) : undefined;
  if (remote && apiKey === undefined && !raw.dryRun) throw missingKeyError(remote);
  return {
    provider,
    params,
    apiKey,
    baseUrl,
    authStyle,
    authForced,
    pollIntervalMs,
    timeoutMs,
    requestTimeoutMs,
    output,
    maxCost,
    rateLimit,
    rateLimitExplicit:
      remote !== undefined &&
      (raw.rateLimit ??
        env.UPSCALE_RATE_LIMIT ??
        stringConfig(config, `${remote.api.configSection}.rateLimit`)) !== undefined,
  };
}
