/**
 * Downloads a generated image into a temporary file beside its final name. Only a complete,
 * verified file is ever renamed into place; the API key is never sent to the download host.
 */
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { PassThrough, type Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { UpscaleError } from '../errors.js';
import { type ImageFormat, isImageContentType, sniffFormat } from '../formats.js';
import { fsHint, fsReason } from '../fs/fs-errors.js';
import type { HttpClient, StreamResponse } from '../http/client.js';
import { abortReason } from '../http/delay.js';
import { isNetworkError, networkErrorCode } from '../http/network-errors.js';
import { DOWNLOAD_POLICY, type RetryPolicy } from '../http/retry-policy.js';
import type { Size } from '../providers/types.js';
import { storeFor } from '../store/index.js';
import { decodeThumbnail, type Thumbnail } from './thumbnail.js';

export interface Downloaded {
  readonly tempPath: string;
  readonly format: ImageFormat;
  readonly bytes: number;
  /** The whole image decoded to a thumbnail; undefined when it does not decode (then kept only on request). */
  readonly thumbnail: Thumbnail | undefined;
}

/**
 * A hidden name beside `finalPath` that no other run uses, from the output's store. It carries
 * this host and pid, so the next run removes it when this process died before it could (see
 * src/fs/owner.ts).
 */
export function tempPathBeside(finalPath: string): string {
  return storeFor(finalPath).stageBeside(finalPath, 'part');
}

/** Failures of the local disk, not of the download: retrying will not help. */
const FS_ERRORS = new Set([
  'ENOSPC',
  'EDQUOT',
  'EACCES',
  'EPERM',
  'EROFS',
  'ENOENT',
  'ENOTDIR',
  'EISDIR',
  'EEXIST',
  'EMFILE',
]);

class DownloadError extends UpscaleError {
  constructor(
    message: string,
    readonly retryable: boolean,
    cause?: unknown,
    status?: number,
    hint = 'run the same command again to retry the download',
  ) {
    super('DOWNLOAD', message, { cause, status, hint });
  }
}

/** A download refused as if its URL had expired or never existed (signed URLs end this way). */
export function isExpiredUrlError(error: unknown): boolean {
  return error instanceof DownloadError && [401, 403, 404, 410].includes(error.status ?? 0);
}

function checkUrl(url: string): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new DownloadError(`the provider gave an invalid image URL`, false);
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
    throw new DownloadError(`the provider gave a non-HTTP image URL (${parsed.protocol})`, false);
  }
  return parsed;
}

/**
 * The most a result of `size` pixels can weigh: its raw pixels at 16 bits per channel with alpha
 * (8 bytes a pixel, more than any compressed PNG, JPEG, WebP or AVIF of that size), plus room for
 * metadata. 25.3 MP (creative's largest) → 219 MB. Without a size, `fallbackPixels` (the provider's
 * largest output) or 100 MP.
 */
export function maxResultBytes(size: Size | undefined, fallbackPixels?: number): number {
  const pixels = size ? size.width * size.height : (fallbackPixels ?? 100_000_000);
  return pixels * 8 + 16 * 1024 * 1024;
}

/** A download must average at least this many bytes a second over each window (curl's --speed-limit). */
export const MIN_BYTES_PER_SECOND = 1024;

/** Reads one answer into a new temp file beside `finalPath`; the file is removed when it fails. */
async function readAnswer(
  response: StreamResponse,
  finalPath: string,
  signal: AbortSignal | undefined,
  options: DownloadOptions & { readonly last: boolean },
): Promise<Downloaded> {
  const tempPath = tempPathBeside(finalPath);
  try {
    const downloaded = await intoFile(response, tempPath, signal, options);
    if (options.decode === false || downloaded.thumbnail || (options.last && options.keepUndecodable))
      return downloaded;
    throw new DownloadError(
      `the downloaded file does not decode as an image (truncated or corrupt, ${downloaded.bytes} bytes)`,
      true,
    );
  } catch (error) {
    await rm(tempPath, { force: true });
    throw error;
  }
}

/** A body longer than the result can be: it is cut there, and not fetched again this run. */
class TooBig extends Error {
  constructor(readonly received: number) {
    super('too big');
  }
}

/**
 * Watches a body's pace: aborts `controller` when less than `bytesPerSecond` arrived over the last
 * `windowMs` (a server that trickles a byte now and then never trips the idle timeout).
 */
function watchRate(bytesNow: () => number, controller: AbortController, minRate: MinRate) {
  const started = Date.now();
  const samples: Array<{ at: number; bytes: number }> = [{ at: started, bytes: 0 }];
  const timer = setInterval(
    () => {
      const now = Date.now();
      samples.push({ at: now, bytes: bytesNow() });
      // The newest sample at least a window old is where the window starts.
      while (samples.length > 1 && samples[1]!.at <= now - minRate.windowMs) samples.shift();
      const from = samples[0]!;
      if (now - from.at < minRate.windowMs) return;
      const got = bytesNow() - from.bytes;
      if (got < (minRate.bytesPerSecond * (now - from.at)) / 1000) {
        controller.abort(
          new DownloadError(
            `download too slow (${got} bytes in the last ${Math.round((now - from.at) / 1000)} s, under ${minRate.bytesPerSecond} bytes/s)`,
            true,
          ),
        );
      }
    },
    Math.max(50, Math.min(1000, minRate.windowMs / 4)),
  );
  timer.unref();
  return () => clearInterval(timer);
}

async function intoFile(
  response: StreamResponse,
  tempPath: string,
  signal: AbortSignal | undefined,
  options: DownloadOptions,
): Promise<Downloaded> {
  const { status } = response;
  if (status !== 200) {
    await response.body.dump().catch(() => undefined);
    // Not retryable here: the client retries the policy's statuses before any answer is read, so
    // one of them gets here only on the last attempt (a lagging 404: see `lagging` below).
    throw new DownloadError(`download answered HTTP ${status}`, false, undefined, status);
  }
  // The content type is only a hint: the bytes decide (a valid PNG served as text/plain is a PNG).
  const contentType = headerText(response.headers['content-type']);
  const declared = Number(headerText(response.headers['content-length']) ?? Number.NaN);
  const { maxBytes } = options;
  if (maxBytes !== undefined && Number.isFinite(declared) && declared > maxBytes) {
    response.body.destroy();
    throw tooBig(declared, maxBytes, 'announces');
  }
  let head: Buffer = Buffer.alloc(0);
  let bytes = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      if (head.length < 16) head = Buffer.concat([head, chunk.subarray(0, 16 - head.length)]);
      bytes += chunk.length;
      done(null, chunk);
    },
  });
  const slow = new AbortController();
  const stopWatch = options.minRate ? watchRate(() => bytes, slow, options.minRate) : () => undefined;
  const both = signal ? AbortSignal.any([signal, slow.signal]) : slow.signal;
  const out = createWriteStream(tempPath, { flags: 'wx' });
  try {
    await pipeline(unpaused(response.body, maxBytes), counter, out, { signal: both });
  } catch (error) {
    // The file is opened asynchronously: wait until it is closed, or the caller's cleanup could
    // run before the open and the file would appear afterwards.
    if (!out.closed) await new Promise<void>((resolve) => out.once('close', () => resolve()));
    if (signal?.aborted) throw abortReason(signal);
    if (slow.signal.aborted) throw slow.signal.reason;
    if (error instanceof TooBig) throw tooBig(error.received, maxBytes ?? 0, 'sent');
    const code = (error as { code?: string }).code;
    if (!isNetworkError(error) && code !== undefined && FS_ERRORS.has(code)) {
      // The open-file limit met for a moment (a batch at high concurrency): a later try gets a file.
      if (code === 'EMFILE' || code === 'ENFILE')
        throw new DownloadError(
          `cannot open a file in ${dirname(tempPath)} (${fsReason(error)})`,
          true,
          error,
        );
      throw new UpscaleError(
        'OUTPUT_UNWRITABLE',
        `cannot write into ${dirname(tempPath)} (${fsReason(error)})`,
        {
          hint: fsHint(error),
          cause: error,
        },
      );
    }
    throw new DownloadError(
      `download broke off after ${bytes} bytes (${networkErrorCode(error) ?? code ?? 'error'})`,
      true,
      error,
    );
  } finally {
    stopWatch();
  }
  if (Number.isFinite(declared) && declared !== bytes) {
    throw new DownloadError(`download is truncated (${bytes} of ${declared} bytes)`, true);
  }
  const format = sniffFormat(head);
  if (!format) {
    const what = isImageContentType(contentType) ? 'unknown file signature' : `content type ${contentType}`;
    throw new DownloadError(`download is not an image (${what})`, true);
  }
  const decode = options.decode ?? true;
  return { tempPath, format, bytes, thumbnail: decode ? await decodeThumbnail(tempPath) : undefined };
}

function tooBig(bytes: number, maxBytes: number, how: 'announces' | 'sent'): DownloadError {
  const mb = (n: number) => `${Math.round(n / 1e6)} MB`;
  const what = how === 'announces' ? `announces ${mb(bytes)}` : `went past ${mb(maxBytes)}`;
  // Not retried: the same URL would send the same again. The task stays recorded as paid.
  return new DownloadError(
    `the download ${what}, more than a result of this size can weigh (${mb(maxBytes)} at most): stopped, nothing kept`,
    false,
    undefined,
    undefined,
    'the task stays recorded: run the same command again to try its download again; if it repeats, give the provider the task id',
  );
}

/**
 * The body read as fast as it arrives, never paused. undici 7 crashes the process (an uncatchable
 * assertion, nodejs/undici#5360, fixed only in undici 8) when a server ends a body that has no
 * length while its parser is paused by backpressure; a slow disk would pause it. What it holds
 * is bounded by `maxBytes`, the most one result can weigh (see maxResultBytes): a server that
 * streams more is cut as the bytes arrive, not after the disk has caught up.
 */
function unpaused(body: Readable, maxBytes: number | undefined): Readable {
  const relay = new PassThrough({ highWaterMark: 1024 * 1024 });
  let received = 0;
  body.on('data', (chunk: Buffer) => {
    received += chunk.length;
    // Counted as it arrives, before the disk: a body past the cap is cut here, not buffered.
    if (maxBytes !== undefined && received > maxBytes) relay.destroy(new TooBig(received));
    else relay.write(chunk);
  });
  body.once('end', () => relay.end());
  body.once('error', (error) => relay.destroy(error));
  relay.once('close', () => {
    if (!body.readableEnded) body.destroy();
  });
  return relay;
}

function headerText(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

export interface DownloadOptions {
  readonly signal?: AbortSignal | undefined;
  readonly policy?: RetryPolicy;
  /**
   * The most the whole download may take, retries included (ms). The idle timeout between two
   * chunks is the client's; this ends a server that trickles a byte now and then.
   */
  readonly deadlineMs?: number | undefined;
  /**
   * Keep a file that arrived whole by its length but does not decode (after the last attempt),
   * instead of failing: the caller decides what to do with a paid result that is broken.
   */
  readonly keepUndecodable?: boolean;
  /**
   * Decode the file to the end before handing it over (default true): a truncated or corrupt
   * result is then retried here. Off only to time the transfer alone (bench/download.js).
   */
  readonly decode?: boolean;
  /**
   * The most the result can weigh (see maxResultBytes): a body announced or sent beyond it is cut
   * at once and not fetched again, and nothing of it is kept.
   */
  readonly maxBytes?: number | undefined;
  /**
   * The least pace a body must keep over each window (default: MIN_BYTES_PER_SECOND over the
   * client's body timeout, `--request-timeout`); slower is cut and retried like a broken answer.
   */
  readonly minRate?: MinRate | undefined;
  /**
   * How long a 404 is taken for storage that has not caught up with the task yet and retried
   * (fresh URLs of a task that just completed); default 0: a 404 is final at once.
   */
  readonly lagging404Ms?: number | undefined;
}

export interface MinRate {
  readonly bytesPerSecond: number;
  readonly windowMs: number;
}

/** A signal that aborts with the caller's, or when the deadline passes (a TimeoutError). */
function withDeadline(signal: AbortSignal | undefined, deadlineMs: number | undefined) {
  if (deadlineMs === undefined) return { signal, done: () => undefined, expired: () => false };
  const controller = new AbortController();
  let expired = false;
  const timer = setTimeout(() => {
    expired = true;
    controller.abort(new DOMException('download deadline', 'TimeoutError'));
  }, deadlineMs);
  const combined = signal ? AbortSignal.any([signal, controller.signal]) : controller.signal;
  return { signal: combined, done: () => clearTimeout(timer), expired: () => expired };
}

/**
 * Downloads `url` to a temp file beside `finalPath`, retrying transient failures per the policy,
 * within one total deadline. The file is decoded to the end before it is handed over.
 */
export async function downloadToTemp(
  client: HttpClient,
  url: string,
  finalPath: string,
  options: DownloadOptions = {},
): Promise<Downloaded> {
  const policy = options.policy ?? DOWNLOAD_POLICY;
  checkUrl(url);
  await storeFor(finalPath)
    .makeFolder(dirname(finalPath))
    .catch((error: NodeJS.ErrnoException) => {
      throw new UpscaleError(
        'OUTPUT_UNWRITABLE',
        `cannot create the folder ${dirname(finalPath)} (${error.code})`,
        {
          hint: 'check that no file stands where the folder should be, and the permissions',
          cause: error,
        },
      );
    });
  const deadline = withDeadline(options.signal, options.deadlineMs);
  const minRate = options.minRate ?? {
    bytesPerSecond: MIN_BYTES_PER_SECOND,
    windowMs: client.timeouts.bodyMs,
  };
  let first404: number | undefined;
  // Eventually consistent storage: a task's URL may answer 404 for a moment after COMPLETED.
  const lagging = (error: DownloadError) => {
    if (error.status !== 404 || !options.lagging404Ms) return false;
    first404 ??= Date.now();
    return Date.now() - first404 < options.lagging404Ms;
  };
  try {
    // No auth headers here: the download host is not the API host. Nor a budget: the key's
    // budget counts requests to the API host, and a result URL is on another.
    return await client.stream({
      url,
      policy,
      signal: deadline.signal,
      read: (response, last) =>
        readAnswer(response, finalPath, deadline.signal, { ...options, minRate, last }),
      retryable: (error) => error instanceof DownloadError && (error.retryable || lagging(error)),
    });
  } catch (error) {
    if (deadline.expired()) {
      throw new DownloadError(
        `the download took longer than ${Math.round((options.deadlineMs ?? 0) / 1000)} s (the server sends too slowly)`,
        false,
        error,
      );
    }
    if (options.signal?.aborted) throw abortReason(options.signal);
    if (error instanceof UpscaleError && (error.code === 'NETWORK' || error.code === 'UNREACHABLE')) {
      // A download keeps its own code: the result is paid, and running again fetches it.
      throw new DownloadError(
        `download failed (${networkErrorCode(error.cause) ?? 'network error'})`,
        false,
        error.cause,
      );
    }
    throw error;
  } finally {
    deadline.done();
  }
}
