/**
 * The seam every provider plugs into. A provider is pure: it turns typed parameters into
 * a request description and provider answers into a normalized task state. It does no I/O.
 */

import type { ImageFormat } from '../formats.js';

/** Normalized task state; provider vocabularies (IN_PROGRESS, TASK_STATUS_SUCCEED, …) stop in the adapter. */
export type TaskState =
  | { readonly status: 'queued' }
  | { readonly status: 'running'; readonly progress?: number; readonly etaSeconds?: number }
  /** `urls` may be empty: a provider was seen answering "completed" before publishing the result. */
  | { readonly status: 'succeeded'; readonly urls: readonly string[] }
  | { readonly status: 'failed'; readonly reason?: string };

export interface ParsedTask {
  readonly taskId: string;
  readonly state: TaskState;
}

/** A task as a provider's list shows it; `createdAt` (ms) only when the service sends a time. */
export interface ListedTask extends ParsedTask {
  readonly createdAt?: number;
}

/** One page of a provider's task list, and whether another may follow. */
export interface ListPage {
  readonly tasks: readonly ListedTask[];
  readonly more: boolean;
}

/** A local image file whose bytes the HTTP layer streams into the body as base64. */
export interface FileImage {
  readonly kind: 'file';
  readonly path: string;
  readonly size: number;
}

/** An image the provider fetches itself. */
export interface UrlImage {
  readonly kind: 'url';
  readonly url: string;
}

export type ImageSource = FileImage | UrlImage;

/** JSON body values; an ImageSource stands where the image goes and is encoded on the way out. */
export type BodyValue = string | number | boolean | null | ImageSource | BodyObject;
export interface BodyObject {
  readonly [key: string]: BodyValue;
}

export interface ApiRequest {
  readonly method: 'GET' | 'POST';
  /** Path below the provider's base URL, starting with '/'. */
  readonly path: string;
  readonly query?: Readonly<Record<string, string>>;
  readonly body?: BodyObject;
}

export type ParamValue = string | number;
/**
 * Parameters as the run carries them: each value parsed by its provider's ParamSpec. A provider
 * reads them through its own typed view (CreativeParams, PrecisionV2Params, …): `Provider<P>`.
 */
export type ParamValues = Readonly<Record<string, ParamValue>>;

/** One provider-specific flag: how it looks on the command line and how a raw value is checked. */
export interface ParamSpec {
  /** Attribute name commander gives the flag, e.g. `optimizedFor` for `--optimized-for`. */
  readonly key: string;
  /** Commander flag text, e.g. `--optimized-for <style>`. */
  readonly flag: string;
  readonly description: string;
  /** Valid values for messages and `upscale providers`, e.g. `-10..10` or `2x|4x|8x|16x`. */
  readonly valid: string;
  /** What the provider uses when the flag is not given. */
  readonly providerDefault?: ParamValue;
  /**
   * Sent with `providerDefault` even when the flag is not given, as every tested client does: a
   * change of the provider's default then cannot change results silently, and `--dry-run` shows it.
   */
  readonly alwaysSent?: boolean;
  /** Text as the command line writes it (`4x`) → the typed value (4), or a ParamError. */
  parse(raw: string): ParamValue;
  /**
   * A value given typed (the library's `params`, `{ scale: 4 }`) → the same value checked, or a
   * ParamError; a number is never turned into text to be parsed. Text given for a number
   * (`{ scale: '4x' }`) is read as `parse` reads it.
   */
  check(value: ParamValue): ParamValue;
}

/** Thrown by ParamSpec.parse and check; options.ts turns it into a usage error naming the flag. */
export class ParamError extends Error {
  override readonly name = 'ParamError';
}

export interface ProviderLimits {
  /** Upscale factors the provider accepts (documentation and `upscale providers`). */
  readonly scales: readonly number[];
  /** Largest output in pixels (width × height × scale²), when the provider has one. */
  readonly maxOutputPixels?: number;
  /** Largest output side in pixels, when the provider has one. */
  readonly maxOutputSide?: number;
  /** Smallest input side in pixels that clients enforce. */
  readonly minInputSide?: number;
  /** Largest aspect ratio (long side ÷ short side) that clients enforce. */
  readonly maxAspectRatio?: number;
  /** Which inputs the provider's `image` field takes. */
  readonly inputs: { readonly file: boolean; readonly url: boolean };
  /**
   * Formats the provider can be asked to encode its result in (sent as the `format` parameter):
   * `--format` asks for them instead of converting afterwards.
   */
  readonly outputFormats?: readonly ImageFormat[];
}

export interface Size {
  readonly width: number;
  readonly height: number;
}

export interface ApiDescription {
  readonly defaultBaseUrl: string;
  /** Variable holding the API root; the three Freepik products share `UPSCALE_FREEPIK_BASE_URL`. */
  readonly baseUrlEnv: string;
  /** Variables holding the key, read in order (the Magnific hosts read MAGNIFIC_API_KEY, then FREEPIK_API_KEY). */
  readonly keyEnvs: readonly [string, ...string[]];
  /**
   * Config section: `<section>.apiKey`, `<section>.baseUrl`, `<section>.keyHeader`. Products sold
   * under one account share a section (`freepik` for creative and both precision upscalers).
   */
  readonly configSection: string;
  /** Further sections whose `apiKey` is read after this one's (the Magnific hosts fall back to `freepik`). */
  readonly keyFallbackSections?: readonly string[];
  /** Human text of the submit endpoint, e.g. `POST /v1/ai/image-upscaler`. */
  readonly endpoint: string;
  /** Human text of the status endpoint, e.g. `GET /v1/ai/image-upscaler/{task_id}`. */
  readonly statusEndpoint: string;
  /** Header styles the provider accepts; the first is the default. */
  readonly authStyles: readonly [AuthStyle, ...AuthStyle[]];
  /**
   * Requests per window assumed until the server's rate-limit headers say otherwise (one budget
   * per key and host, status polls included). `--rate-limit` and `<section>.rateLimit` override it.
   */
  readonly defaultRateLimit: { readonly limit: number; readonly windowMs: number };
}

export type AuthStyle = 'x-freepik-api-key' | 'x-magnific-api-key' | 'bearer' | 'x-api-key';

export interface CostEstimate {
  /** Estimated price, or undefined when the provider's price is unknown (never guessed as zero). */
  readonly amount: number | undefined;
  readonly currency: string;
  readonly basis: string;
}

/** Why a flag that belongs to other providers makes no sense here, and what to do instead. */
export interface Refusal {
  readonly why: string;
  readonly hint: string;
}

/**
 * Feature: tasks on the provider's API over HTTP — where the API is, how the key travels, how a
 * task is submitted, polled and listed, and how its answers read. Absent for an engine that runs
 * in this process: such a provider has no key, no host and no task id.
 */
export interface HttpApi<P extends ParamValues = ParamValues> extends ApiDescription {
  /** Headers that carry the key. */
  authHeaders(apiKey: string, style: AuthStyle): Record<string, string>;
  buildSubmit(params: P, image: ImageSource): ApiRequest;
  parseSubmit(json: unknown): ParsedTask;
  statusRequest(taskId: string): ApiRequest;
  parseStatus(json: unknown, taskId: string): ParsedTask;
  /** The provider's own error text out of an error body (falls back to the HTTP reason). */
  errorMessage(status: number, json: unknown): string | undefined;
  /**
   * Whether the text of a 429 says the account's daily or plan quota is spent (waiting will not
   * help) rather than a per-minute window: the provider's words, read by the run, not by http/.
   */
  speaksOfQuota(text: string): boolean;
  /**
   * Feature: a task list, page by page (1-based), when the provider has one (resolves an uncertain
   * submit; one list request polls a batch).
   */
  listRequest?(page: number): ApiRequest;
  parseList?(json: unknown, page: number): ListPage;
}

/** Feature: an engine in this process (`-p local`): no key, no network, no task id. */
export interface LocalEngine<P extends ParamValues = ParamValues> {
  /** Tasks run at once by default: the engine already uses every core for one image. */
  readonly defaultConcurrency: number;
  /** What `--dry-run` shows instead of an HTTP request. */
  describe(params: P): BodyObject;
  /** The model the parameters ask for (the engine's default when none is named). */
  modelOf(params: P): string;
}

/**
 * The one shape of a provider (rclone's fs.Features): what every provider has — flags, limits,
 * output size and name, price — and the features it declares. Callers ask for a feature (`api`,
 * `engine`, `limits.inputs`, `api.listRequest`), never for a kind of provider.
 */
export interface Provider<P extends ParamValues = ParamValues> {
  readonly id: string;
  readonly title: string;
  /**
   * Set when this id is the same API as another provider on another host (the `magnific*` ids):
   * help groups list flags under the original only.
   */
  readonly sameApiAs?: string;
  /** Flags of other providers this one refuses with a specific explanation (e.g. `scale` for precision v1). */
  readonly refuses?: Readonly<Record<string, Refusal>>;
  readonly params: readonly ParamSpec[];
  /** Scales, input kinds (file, URL), output limits and formats. */
  readonly limits: ProviderLimits;
  /** The factor the output will have, when it can be known from the parameters. */
  scaleOf(params: P): number | undefined;
  /** The expected output size, when it can be known. */
  outputSize(input: Size, params: P): Size | undefined;
  /** Short tag used in output names, e.g. `4x`, `2k`. */
  outputTag(params: P): string;
  /** The price of one task for an input of this size (stored pixels, as sent); `amount` undefined when unknown. */
  estimateCost(input: Size, params: P): CostEstimate;
  /** Feature: tasks sent to the provider's API over HTTP. */
  readonly api?: HttpApi<P>;
  /** Feature: an engine in this process. */
  readonly engine?: LocalEngine<P>;
}

/** A provider with its HTTP API, as a connection, the key lookup and the error hints take it. */
export type HttpProvider<P extends ParamValues = ParamValues> = Provider<P> & { readonly api: HttpApi<P> };

/** Whether the provider has the HTTP feature: its tasks go to an API (a key, a host, task ids). */
export function hasHttpApi<P extends ParamValues>(provider: Provider<P>): provider is HttpProvider<P> {
  return provider.api !== undefined;
}

/** A provider with an in-process engine. */
export type EngineProvider<P extends ParamValues = ParamValues> = Provider<P> & {
  readonly engine: LocalEngine<P>;
};

/** Whether the provider has the in-process engine feature: its tasks run on this machine. */
export function hasEngine<P extends ParamValues>(provider: Provider<P>): provider is EngineProvider<P> {
  return provider.engine !== undefined;
}
