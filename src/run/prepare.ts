/**
 * One input made ready to send: the pre-check against the provider's limits, the sizing (which
 * completes its output's plan), and what `--dry-run` shows instead of sending.
 */
import { rm } from 'node:fs/promises';
import { UpscaleError } from '../errors.js';
import type { ImageFormat } from '../formats.js';
import { describeBody } from '../http/json-body.js';
import { downloadToTemp } from '../image/download.js';
import { downscaledCopy } from '../image/fit-input.js';
import { checkFormatLimit } from '../image/format-limits.js';
import { type PrecheckInfo, precheckFile } from '../image/precheck.js';
import { planSizing, type Sizing } from '../image/sizing.js';
import { readSource, type SourceImage } from '../image/source.js';
import {
  hasEngine,
  type ImageSource,
  type ParamValues,
  type Provider,
  type Size,
} from '../providers/types.js';
import { urlTakersFor } from '../providers/url-takers.js';
import { hashFile } from './ledger/ledger.js';
import { checkLocalReady } from './local-output.js';
import { finalPath } from './naming.js';
import { type OutputSize, outputFormat } from './output-plan.js';
import type { InputItem, InputTask, PlannedResult, RunContext } from './task-types.js';

export interface Prepared {
  readonly image: ImageSource;
  readonly params: ParamValues;
  /** The output's sizes, for its plan. */
  readonly size: OutputSize;
  /** A file input's pre-check facts. */
  readonly info?: PrecheckInfo | undefined;
  /**
   * sha256 of a file input, taken before its bytes are read to be sent (the submit streams the
   * file; --fit copies it below): an edit after this is seen as a change by the next run.
   */
  readonly inputHash?: string | undefined;
  /** The input's facts for finishing (a fetched copy for a URL input, when it could be fetched). */
  readonly source?: SourceImage | undefined;
  cleanup(): Promise<void>;
}

const nothingToClean = async () => undefined;

/** A copy of a URL input, for its facts (undefined when unreachable: the provider may reach what we cannot). */
export async function fetchUrlSource(
  run: RunContext,
  item: InputItem,
): Promise<{ source?: SourceImage | undefined; cleanup(): Promise<void> }> {
  if (item.kind === 'file') return { source: await readSource(item.input), cleanup: nothingToClean };
  try {
    const copy = await downloadToTemp(run.client, item.input, finalPath(item.target, 'source'), {
      signal: run.signal,
      deadlineMs: run.timeoutMs,
    });
    return { source: await readSource(copy.tempPath), cleanup: () => rm(copy.tempPath, { force: true }) };
  } catch {
    return { cleanup: nothingToClean };
  }
}

/** The output's format when it is asked (-o's extension, --format), before any byte is made. */
const askedFormat = (task: InputTask) => outputFormat(task.plan, { download: undefined });

/** Asks a provider that can encode the wanted format for it, instead of converting afterwards. */
function withProviderFormat(provider: Provider, params: ParamValues, wanted: ImageFormat | undefined) {
  const formats = provider.limits.outputFormats;
  if (!wanted || !formats?.includes(wanted) || params.format !== undefined) return params;
  return { ...params, format: wanted };
}

/**
 * The output's sizes: the input's, the one sent, the exact output and the one with the input's
 * sides floored to a multiple of 4 first (as seen live), and the final one.
 */
function outputSize(provider: Provider, input: Size | undefined, sizing: Sizing | undefined): OutputSize {
  const sent = sizing?.send ?? input;
  const exact = sizing?.expected;
  const floor4 = (n: number) => Math.max(4, Math.floor(n / 4) * 4);
  const expected =
    exact && sent
      ? {
          exact,
          floored: provider.outputSize(
            { width: floor4(sent.width), height: floor4(sent.height) },
            sizing.params,
          ),
        }
      : undefined;
  return { input, sent: sizing?.send, expected, final: sizing?.finalSize };
}

function refuseUrl(provider: Provider, item: InputItem): never {
  const [near, ...others] = urlTakersFor(provider);
  const instead = near ? `, or use a provider that takes URLs: -p ${near} (${others.join(', ')} too)` : '';
  throw new UpscaleError('UNSUPPORTED_INPUT', `${item.input}: ${provider.id} does not take image URLs`, {
    hint: `download the image and pass the file${instead}`,
  });
}

function refuseFile(provider: Provider, item: InputItem): never {
  throw new UpscaleError(
    'UNSUPPORTED_INPUT',
    `${item.input}: ${provider.id} cannot take a local file: its API accepts only an image URL, which its servers download`,
    {
      hint: 'put the image at a public https:// URL (a bucket, a CDN, any file host) and pass that URL, or use a provider that takes files (-p freepik)',
    },
  );
}

/**
 * What is refused before anything is sent or inferred (IMAGE_TOO_LARGE, LOCAL_ENGINE; in a
 * dry run too): a local engine without the runtime or model, an output over its format's size
 * limit (the format asked, else the local engine's default or the one asked of the provider).
 */
async function refuseBeforeSending(
  run: RunContext,
  task: InputTask,
  params: ParamValues,
  size: OutputSize,
  info: PrecheckInfo | undefined,
): Promise<void> {
  if (hasEngine(run.provider)) await checkLocalReady(run.provider, params);
  const asked = typeof params.format === 'string' ? (params.format as ImageFormat) : undefined;
  const format = outputFormat(
    task.plan,
    run.provider.engine ? { engineFrom: task.item.input, hasAlpha: info?.hasAlpha } : { download: asked },
  );
  checkFormatLimit(task.item.input, format, size.final ?? size.expected?.exact);
}

async function prepareUrl(run: RunContext, task: InputTask): Promise<Prepared> {
  const { provider } = run;
  const { item } = task;
  const { source, cleanup } = await fetchUrlSource(run, item);
  try {
    const sizing = source
      ? planSizing(item.input, source, source.orientation, provider, task.params, {
          ...task.output,
          fit: false,
        })
      : undefined;
    const params = withProviderFormat(provider, sizing?.params ?? task.params, askedFormat(task));
    const input = source ? { width: source.width, height: source.height } : undefined;
    const size = outputSize(provider, input, sizing);
    await refuseBeforeSending(run, task, params, size, undefined);
    return { image: { kind: 'url', url: item.input }, params, size, source, cleanup };
  } catch (error) {
    await cleanup();
    throw error;
  }
}

export async function prepare(run: RunContext, task: InputTask): Promise<Prepared> {
  const { provider } = run;
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
  const params = withProviderFormat(provider, sizing?.params ?? task.params, askedFormat(task));
  const size = outputSize(provider, { width: info.width, height: info.height }, sizing);
  await refuseBeforeSending(run, task, params, size, info);
  const source = run.dryRun ? undefined : await readSource(item.input);
  const inputHash = run.dryRun ? undefined : await hashFile(item.input);
  const base = { params, size, info, source, inputHash };
  if (!sizing?.send || run.dryRun) return { image: checked.image, ...base, cleanup: nothingToClean };
  const copy = await downscaledCopy(item.input, sizing.send, info.format);
  return { image: copy.image, ...base, cleanup: () => copy.remove() };
}

/** What --dry-run shows: the HTTP request with the image elided, or the local engine's settings. */
function plannedRequest(provider: Provider, params: ParamValues, image: ImageSource): unknown {
  if (provider.engine) return { engine: 'local', ...provider.engine.describe(params) };
  if (!provider.api) return undefined;
  const request = provider.api.buildSubmit(params, image);
  return {
    method: request.method,
    path: request.path,
    body: request.body ? describeBody(request.body) : undefined,
  };
}

/** Under --dry-run: the request that would be sent (image elided), the plan's sizes and the estimated price. */
export function planned(run: RunContext, task: InputTask, prepared: Prepared): PlannedResult {
  const { provider } = run;
  const { plan } = task;
  const { input, sent: fitted, expected, final } = plan.size ?? {};
  const sent = fitted ?? input;
  return {
    input: task.item.input,
    provider: provider.id,
    status: 'planned',
    request: plannedRequest(provider, prepared.params, prepared.image),
    ...(input ? { inputSize: input } : {}),
    ...(fitted ? { fittedTo: fitted } : {}),
    ...(expected ? { expected: expected.exact } : {}),
    ...(final ? { resizeTo: final } : {}),
    cost: sent
      ? provider.estimateCost(sent, prepared.params)
      : { amount: undefined, currency: '', basis: 'the input could not be read to know its size' },
    // With recipes, what running it would do to the output: make it, or redo it (its input changed).
    ...(run.recipes
      ? { freshness: plan.freshness === 'changed' ? ('changed' as const) : ('new' as const) }
      : {}),
  };
}
