/**
 * One input from start to finish: skip if its output exists, pre-check, submit (or resume a
 * journaled task), poll, download, verify, and move the file into place. Reports through callbacks.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { UpscaleError } from '../errors.js';
import { describeBody } from '../http/json-body.js';
import { commitFile, downloadToTemp } from '../image/download.js';
import { imageSize, sizeMatches } from '../image/finish.js';
import { finishImage } from '../image/finish-output.js';
import { downscaledCopy } from '../image/fit-input.js';
import { EXTENSION_OF, type ImageFormat } from '../image/formats.js';
import { displayedSize } from '../image/orient.js';
import { plannedFormat } from '../image/output-options.js';
import { type PrecheckInfo, precheckFile } from '../image/precheck.js';
import { finalSizeOf, planSizing, type Sizing } from '../image/sizing.js';
import { readSource, type SourceImage } from '../image/source.js';
import {
  type AnyProvider,
  type ImageSource,
  isLocalProvider,
  type ParamValues,
  type ParsedTask,
  type Size,
  type TaskState,
} from '../providers/types.js';
import { finalPath, findExistingOutput, formatOfInput, type OutputTarget } from './naming.js';
import { type FinalState, pollUntilFinal } from './poll.js';
import { fetchTaskState, submitTask } from './provider-api.js';
import { errorOf, type InputItem, type TaskResult, type TaskSettings } from './task-types.js';

export * from './task-types.js';

/** One input made ready to send: what goes in the body, its facts, and what to clean up after. */
interface Prepared {
  readonly image: ImageSource;
  readonly params: ParamValues;
  readonly sizing?: Sizing | undefined;
  /** The input's stored size, when it could be read. */
  readonly size?: Size | undefined;
  /** A file input's pre-check facts. */
  readonly info?: PrecheckInfo | undefined;
  readonly source?: SourceImage | undefined;
  cleanup(): Promise<void>;
}

const nothingToClean = async () => undefined;

/** The input's facts for finishing: the file itself, or a copy of a URL input (undefined if unreachable). */
async function openSource(
  s: TaskSettings,
  item: InputItem,
): Promise<{ source?: SourceImage | undefined; cleanup(): Promise<void> }> {
  if (item.kind === 'file') return { source: await readSource(item.input), cleanup: nothingToClean };
  const beside = finalPath(item.target, 'source');
  try {
    const copy = await downloadToTemp(s.connection.client, item.input, beside, s.signal);
    return { source: await readSource(copy.tempPath), cleanup: () => rm(copy.tempPath, { force: true }) };
  } catch {
    // The provider may reach what we cannot: the output is then finished without the input's facts.
    return { cleanup: nothingToClean };
  }
}

/** The format the output will have, when it is known before the download. */
function wantedFormat(
  s: TaskSettings,
  item: InputItem,
  source: SourceImage | undefined,
): ImageFormat | undefined {
  const inputFormat = source?.format ?? formatOfInput(item.input);
  return plannedFormat(s.output ?? {}, inputFormat, item.target.fixed?.format);
}

/** Asks a provider that can encode the wanted format for it, instead of converting afterwards. */
function withProviderFormat(provider: AnyProvider, params: ParamValues, wanted: ImageFormat | undefined) {
  const formats = provider.limits.outputFormats;
  if (!wanted || !formats?.includes(wanted) || params.format !== undefined) return params;
  return { ...params, format: wanted };
}

async function prepare(s: TaskSettings, item: InputItem): Promise<Prepared> {
  const { provider } = s.connection;
  const output = s.output ?? {};
  if (item.kind === 'url') {
    if (!provider.limits.inputs.url) {
      throw new UpscaleError('UNSUPPORTED_INPUT', `${item.input}: ${provider.id} does not take image URLs`, {
        hint: 'download the image and pass the file instead',
      });
    }
    const { source, cleanup } = await openSource(s, item);
    try {
      const sizing = source
        ? planSizing(item.input, source, source.orientation, provider, s.params, { ...output, fit: false })
        : undefined;
      const params = withProviderFormat(provider, sizing?.params ?? s.params, wantedFormat(s, item, source));
      const size = source ? { width: source.width, height: source.height } : undefined;
      return { image: { kind: 'url', url: item.input }, params, sizing, size, source, cleanup };
    } catch (error) {
      await cleanup();
      throw error;
    }
  }
  if (!provider.limits.inputs.file) {
    throw new UpscaleError(
      'UNSUPPORTED_INPUT',
      `${item.input}: ${provider.id} cannot take a local file: its API accepts only an image URL, which its servers download`,
      {
        hint: 'put the image at a public https:// URL (a bucket, a CDN, any file host) and pass that URL, or use a provider that takes files (-p freepik)',
      },
    );
  }
  const checked = await precheckFile(item.input, provider, s.params, {
    decode: !s.dryRun,
    plan: (input, orientation) => planSizing(item.input, input, orientation, provider, s.params, output),
  });
  const { sizing, info } = checked;
  const params = withProviderFormat(provider, sizing?.params ?? s.params, wantedFormat(s, item, undefined));
  const size = { width: info.width, height: info.height };
  if (!sizing?.send || s.dryRun)
    return { image: checked.image, params, sizing, size, info, cleanup: nothingToClean };
  const copy = await downscaledCopy(item.input, sizing.send, info.format);
  return { image: copy.image, params, sizing, size, info, cleanup: () => copy.remove() };
}

async function skipIfDone(s: TaskSettings, item: InputItem): Promise<TaskResult | undefined> {
  if (s.overwrite) return undefined;
  const existing = await findExistingOutput(item.target, s.listings);
  if (!existing) return undefined;
  const size = await imageSize(existing);
  if (!size) {
    throw new UpscaleError('OUTPUT_CLASH', `${existing} exists but is not a readable image`, {
      hint: 'remove it, or pass --overwrite to replace it',
    });
  }
  return {
    input: item.input,
    status: 'skipped',
    provider: s.connection.provider.id,
    output: existing,
    ...size,
  };
}

async function waitForResult(
  s: TaskSettings,
  item: InputItem,
  taskId: string,
  submittedAt: number,
  first: TaskState | undefined,
) {
  if (first?.status === 'succeeded' || first?.status === 'failed') return first as FinalState;
  return pollUntilFinal({
    taskId,
    submittedAt,
    firstIntervalMs: s.pollIntervalMs,
    // --timeout counts from now: a resumed task gets its full time again.
    deadline: Date.now() + s.timeoutMs,
    // Without a fresh answer to start from (resumed, downloaded by id), ask at once.
    immediate: first === undefined,
    signal: s.signal,
    fetchState: () => fetchTaskState(s.connection, taskId, s.signal),
    estimate: s.durations,
    onState: (state, elapsed) => s.events?.onStatus?.(item.input, taskId, state, elapsed),
  });
}

/** Downloads every generated URL and finishes it; the first gets the target name, others `-2`, `-3`, … */
async function collect(
  s: TaskSettings,
  item: InputItem,
  urls: readonly string[],
  expected: Size | undefined,
  known: SourceImage | undefined,
) {
  const written: { path: string; width: number; height: number }[] = [];
  const opened = known ? { source: known, cleanup: nothingToClean } : await openSource(s, item);
  const { source } = opened;
  try {
    const finalSize = source
      ? finalSizeOf(displayedSize(source, source.orientation), s.output ?? {})
      : undefined;
    for (const [index, url] of urls.entries()) {
      const target: OutputTarget =
        index === 0 ? item.target : { dir: item.target.dir, stem: `${item.target.stem}-${index + 1}` };
      // Temp files are named after the output without its extension, which the bytes decide.
      const provisional = target.fixed?.path ?? join(target.dir, target.stem);
      const downloaded = await downloadToTemp(s.connection.client, url, provisional, s.signal);
      const size = await imageSize(downloaded.tempPath);
      if (!size || (index === 0 && expected && !sizeMatches(size, expected))) {
        await rm(downloaded.tempPath, { force: true });
        throw new UpscaleError(
          'DOWNLOAD',
          size
            ? `the result is ${size.width}×${size.height}, not the promised ${expected?.width}×${expected?.height}`
            : 'the downloaded result does not decode as an image',
          { hint: 'run the same command again to download it again' },
        );
      }
      const finished = await finishImage({
        tempPath: downloaded.tempPath,
        downloaded: downloaded.format,
        wanted: wantedFormat(s, item, source),
        finalPath: provisional,
        source,
        options: s.output ?? {},
        finalSize,
      });
      for (const notice of finished.notices) s.events?.onNotice?.(item.input, notice);
      const finalDimensions = (await imageSize(finished.tempPath)) ?? size;
      const path = await commitFile(
        finished.tempPath,
        finalPath(target, EXTENSION_OF[finished.format]),
        s.overwrite,
      );
      written.push({ path, ...finalDimensions });
    }
  } finally {
    await opened.cleanup();
  }
  return written[0]!;
}

/**
 * Waits for a submitted task and writes its result: shared by a normal run, a resumed one,
 * `upscale download <task-id>` and `upscale resume`.
 */
export async function collectTask(
  s: TaskSettings,
  item: InputItem,
  task: {
    taskId: string;
    submittedAt: number;
    first?: TaskState;
    expected?: Size | undefined;
    source?: SourceImage | undefined;
  },
): Promise<TaskResult> {
  const base = { input: item.input, provider: s.connection.provider.id, taskId: task.taskId };
  try {
    s.events?.onStage?.(item.input, 'waiting');
    const final = await waitForResult(s, item, task.taskId, task.submittedAt, task.first);
    if (final.status === 'failed') {
      await s.journal?.remove(item);
      throw new UpscaleError(
        'TASK_FAILED',
        `${item.input}: ${final.reason ?? 'the provider reported the task as failed'}`,
        {
          hint: 'try other settings, or run again with --overwrite later',
        },
      );
    }
    s.events?.onStage?.(item.input, 'downloading');
    const written = await collect(s, item, final.urls, task.expected, task.source);
    await s.journal?.remove(item);
    return {
      ...base,
      status: 'succeeded',
      output: written.path,
      width: written.width,
      height: written.height,
    };
  } catch (error) {
    // A task the provider no longer knows cannot be collected: forget it so a re-run submits anew.
    if (error instanceof UpscaleError && error.code === 'TASK_NOT_FOUND') await s.journal?.remove(item);
    return { ...base, status: 'failed', error: errorOf(error) };
  }
}

/** Submits whose answer was lost, each checked against the task list, before giving up. */
const MAX_UNCERTAIN_SUBMITS = 4;

/** Records a task found by recovery as ours, then collects it. */
async function adopt(
  s: TaskSettings,
  item: InputItem,
  task: { taskId: string; submittedAt: number },
  prepared: Prepared,
) {
  await s.journal?.record(item, task.taskId, task.submittedAt);
  s.events?.onSubmitted?.(item.input, task.taskId, true);
  return collectTask(s, item, { ...task, expected: prepared.sizing?.expected, source: prepared.source });
}

async function submitAndCollect(s: TaskSettings, item: InputItem, prepared: Prepared) {
  if (s.signal?.aborted) throw new UpscaleError('ABORTED', 'interrupted before submitting');
  const expected = prepared.sizing?.expected;
  // The submit is not cut by the first Ctrl-C: its answer must reach the journal.
  const submitSignal = s.submitSignal;
  for (let attempt = 1; ; attempt++) {
    s.events?.onStage?.(item.input, 'submitting');
    const startedAt = Date.now();
    await s.journal?.markSubmitting(item);
    let task: ParsedTask;
    try {
      task = await submitTask(s.connection, prepared.params, prepared.image, submitSignal);
    } catch (error) {
      const uncertain = error instanceof UpscaleError && error.code === 'SUBMIT_UNCERTAIN';
      if (uncertain && s.recovery?.canRecover() && attempt < MAX_UNCERTAIN_SUBMITS) {
        const recovered = await s.recovery.recover(item, startedAt, expected);
        if (recovered.found) return adopt(s, item, recovered.found, prepared);
        continue; // the provider has no unknown task: the submit never arrived, sending it again is safe
      }
      // A definite refusal created nothing: forget the pending mark. An uncertain one stays for the next run.
      if (!uncertain) await s.journal?.remove(item);
      throw error;
    }
    const submittedAt = Date.now();
    await s.journal?.record(item, task.taskId, submittedAt);
    s.events?.onSubmitted?.(item.input, task.taskId, false);
    return collectTask(s, item, {
      taskId: task.taskId,
      submittedAt,
      first: task.state,
      expected,
      source: prepared.source,
    });
  }
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
function planned(s: TaskSettings, item: InputItem, prepared: Prepared): TaskResult {
  const { provider } = s.connection;
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

export async function runTask(s: TaskSettings, item: InputItem): Promise<TaskResult> {
  const { provider } = s.connection;
  const base = { input: item.input, provider: provider.id };
  let prepared: Prepared | undefined;
  try {
    const skipped = await skipIfDone(s, item);
    if (skipped) return skipped;
    s.events?.onStage?.(item.input, 'checking');
    prepared = await prepare(s, item);
    if (s.dryRun) return planned(s, item, prepared);
    if (isLocalProvider(provider)) {
      // prepare() refuses URLs for a local provider, so a file's pre-check info is here.
      const { runLocalTask } = await import('./run-local.js');
      return await runLocalTask({ ...s, params: prepared.params }, provider, item, prepared.info!);
    }
    const expected = prepared.sizing?.expected;
    const known = await s.journal?.find(item);
    if (known && 'taskId' in known) {
      s.events?.onSubmitted?.(item.input, known.taskId, true);
      return await collectTask(s, item, { ...known, expected, source: prepared.source });
    }
    if (known && s.recovery) {
      // An earlier run died between sending the submit and recording its answer.
      const recovered = await s.recovery.recover(item, known.startedAt, expected);
      if (recovered.found) return await adopt(s, item, recovered.found, prepared);
    }
    return await submitAndCollect(s, item, prepared);
  } catch (error) {
    return { ...base, status: 'failed', error: errorOf(error) };
  } finally {
    await prepared?.cleanup();
  }
}
