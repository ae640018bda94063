/**
 * One input made ready to send: its output format decided from its content (once, for the skip
 * check and the writer alike), the pre-check against the provider's limits, the sizing, and what
 * `--dry-run` shows instead of sending.
 */
import { rm } from 'node:fs/promises';
import { UpscaleError } from '../errors.js';
import { type ImageFormat, sniffFormat } from '../formats.js';
import { readPieces } from '../fs/read-pieces.js';
import { describeBody } from '../http/json-body.js';
import { downloadToTemp } from '../image/download.js';
import { downscaledCopy } from '../image/fit-input.js';
import type { OutputOptions } from '../image/output-options.js';
import { type PrecheckInfo, precheckFile } from '../image/precheck.js';
import { planSizing, type Sizing } from '../image/sizing.js';
import { readSource, type SourceImage } from '../image/source.js';
import {
  type AnyProvider,
  type ImageSource,
  isLocalProvider,
  type ParamValues,
  type Size,
} from '../providers/types.js';
import { finalPath } from './naming.js';
import { type ExpectedSizes, outputFormatOf } from './output-writer.js';
import type { InputItem, InputTask, PlannedResult, RunContext } from './task-types.js';

export interface Prepared {
  readonly image: ImageSource;
  readonly params: ParamValues;
  readonly sizing?: Sizing | undefined;
  /** Sizes the result may have (exact, or sides floored to a multiple of 4 as seen live). */
  readonly expected?: ExpectedSizes | undefined;
  /** The input's stored size, when it could be read. */
  readonly size?: Size | undefined;
  /** A file input's pre-check facts. */
  readonly info?: PrecheckInfo | undefined;
  /** The input's facts for finishing (a fetched copy for a URL input, when it could be fetched). */
  readonly source?: SourceImage | undefined;
  cleanup(): Promise<void>;
}

const nothingToClean = async () => undefined;

async function headOf(path: string): Promise<Buffer | undefined> {
  try {
    for await (const piece of readPieces(path, 32)) return Buffer.from(piece);
  } catch {
    return undefined;
  }
  return undefined;
}

/**
 * `--format keep` means the input's real format: a PNG named `.jpg` gives a PNG. Decided here from
 * the file's first bytes, and carried in the item's target for the skip check and the writer.
 */
export async function withContentFormat(
  output: OutputOptions | undefined,
  item: InputItem,
): Promise<InputItem> {
  if (output?.format !== 'keep' || item.kind !== 'file' || item.target.fixed) return item;
  const head = await headOf(item.input);
  const format: ImageFormat | undefined = head ? sniffFormat(head) : undefined;
  if (!format || format === item.target.format) return item;
  return { ...item, target: { ...item.target, format } };
}

/** A copy of a URL input, for its facts (undefined when unreachable: the provider may reach what we cannot). */
export async function fetchUrlSource(
  run: RunContext,
  item: InputItem,
): Promise<{ source?: SourceImage | undefined; cleanup(): Promise<void> }> {
  if (item.kind === 'file') return { source: await readSource(item.input), cleanup: nothingToClean };
  try {
    const copy = await downloadToTemp(run.connection.client, item.input, finalPath(item.target, 'source'), {
      signal: run.signal,
      deadlineMs: run.timeoutMs,
    });
    return { source: await readSource(copy.tempPath), cleanup: () => rm(copy.tempPath, { force: true }) };
  } catch {
    return { cleanup: nothingToClean };
  }
}

/** Asks a provider that can encode the wanted format for it, instead of converting afterwards. */
function withProviderFormat(provider: AnyProvider, params: ParamValues, wanted: ImageFormat | undefined) {
  const formats = provider.limits.outputFormats;
  if (!wanted || !formats?.includes(wanted) || params.format !== undefined) return params;
  return { ...params, format: wanted };
}

/** The exact output size and the one with the input's sides floored to a multiple of 4 first. */
function expectedSizes(provider: AnyProvider, sent: Size | undefined, sizing: Sizing | undefined) {
  const exact = sizing?.expected;
  if (!exact || !sent) return undefined;
  const floor4 = (n: number) => Math.max(4, Math.floor(n / 4) * 4);
  const floored = provider.outputSize(
    { width: floor4(sent.width), height: floor4(sent.height) },
    sizing.params,
  );
  return { exact, floored };
}

function refuseUrl(provider: AnyProvider, item: InputItem): never {
  throw new UpscaleError('UNSUPPORTED_INPUT', `${item.input}: ${provider.id} does not take image URLs`, {
    hint: 'download the image and pass the file instead',
  });
}

function refuseFile(provider: AnyProvider, item: InputItem): never {
  throw new UpscaleError(
    'UNSUPPORTED_INPUT',
    `${item.input}: ${provider.id} cannot take a local file: its API accepts only an image URL, which its servers download`,
    {
      hint: 'put the image at a public https:// URL (a bucket, a CDN, any file host) and pass that URL, or use a provider that takes files (-p freepik)',
    },
  );
}

async function prepareUrl(run: RunContext, task: InputTask): Promise<Prepared> {
  const { provider } = run.connection;
  const { item } = task;
  const { source, cleanup } = await fetchUrlSource(run, item);
  try {
    const sizing = source
      ? planSizing(item.input, source, source.orientation, provider, task.params, {
          ...task.output,
          fit: false,
        })
      : undefined;
    const params = withProviderFormat(provider, sizing?.params ?? task.params, outputFormatOf(item));
    const size = source ? { width: source.width, height: source.height } : undefined;
    const expected = expectedSizes(provider, size, sizing);
    return { image: { kind: 'url', url: item.input }, params, sizing, expected, size, source, cleanup };
  } catch (error) {
    await cleanup();
    throw error;
  }
}

export async function prepare(run: RunContext, task: InputTask): Promise<Prepared> {
  const { provider } = run.connection;
  const { item } = task;
  if (item.kind === 'url') {
    if (!provider.limits.inputs.url) refuseUrl(provider, item);
    return prepareUrl(run, task);
  }
  if (!provider.limits.inputs.file) refuseFile(provider, item);
  const output = task.output ?? {};
  const checked = await precheckFile(item.input, provider, task.params, {
    decode: !run.dryRun,
    plan: (input, orientation) => planSizing(item.input, input, orientation, provider, task.params, output),
  });
  const { sizing, info } = checked;
  const params = withProviderFormat(provider, sizing?.params ?? task.params, outputFormatOf(item));
  const size = { width: info.width, height: info.height };
  const expected = expectedSizes(provider, sizing?.send ?? size, sizing);
  const source = run.dryRun ? undefined : await readSource(item.input);
  const base = { params, sizing, expected, size, info, source };
  if (!sizing?.send || run.dryRun) return { image: checked.image, ...base, cleanup: nothingToClean };
  const copy = await downscaledCopy(item.input, sizing.send, info.format);
  return { image: copy.image, ...base, cleanup: () => copy.remove() };
}

/** What --dry-run shows: the HTTP request with the image elided, or the local engine's settings. */
function plannedRequest(provider: AnyProvider, params: ParamValues, image: ImageSource): unknown {
  if (isLocalProvider(provider)) return { engine: 'local', ...provider.describe(params) };
  const request = provider.buildSubmit(params, image);
  return {
    method: request.method,
    path: request.path,
    body: request.body ? describeBody(request.body) : undefined,
  };
}

/** Under --dry-run: the request that would be sent (image elided), the sizes and the estimated price. */
export function planned(run: RunContext, item: InputItem, prepared: Prepared): PlannedResult {
  const { provider } = run.connection;
  const { sizing, size } = prepared;
  const sent = sizing?.send ?? size;
  return {
    input: item.input,
    provider: provider.id,
    status: 'planned',
    request: plannedRequest(provider, prepared.params, prepared.image),
    ...(size ? { inputSize: size } : {}),
    ...(sizing?.send ? { fittedTo: sizing.send } : {}),
    ...(sizing?.expected ? { expected: sizing.expected } : {}),
    ...(sizing?.finalSize ? { resizeTo: sizing.finalSize } : {}),
    cost: sent
      ? provider.estimateCost(sent, prepared.params)
      : { amount: undefined, currency: '', basis: 'the input could not be read to know its size' },
  };
}
