/**
 * Novita image upscaler (https://novita.ai/docs/api-reference/model-apis-image-upscaler):
 * `POST /v3/async/image-upscaler` answers `{"task_id"}`; status `GET /v3/async/task-result?task_id=`
 * answers `{"task":{status,reason,eta,progress_percent},"images":[{image_url}]}`. Its `image` is a URL
 * that Novita downloads: local files cannot be sent. It takes a target resolution, not a factor,
 * and how it sizes the output is undocumented, so the output size is unknown before it arrives.
 */
import { UpscaleError } from '../errors.js';
import { authHeaders } from './auth.js';
import { unknownCost } from './cost.js';
import { errorSentence, readErrorBody, speaksOfQuota } from './error-body.js';
import { asNumber, asObject, asString, isSafeTaskId, type JsonObject } from './json-shape.js';
import { enumParam, webhookParam } from './params.js';
import type { BodyObject, HttpProvider, ImageSource, ParsedTask, TaskState } from './types.js';

const PATH = '/v3/async/image-upscaler';
const STATUS_PATH = '/v3/async/task-result';
const RESOLUTIONS = ['2k', '4k', '8k'] as const;
const DEFAULT_RESOLUTION = '4k';

/** Novita's parameters, as its flags parse them; `format` is set by the run from --format. */
export type NovitaParams = {
  readonly resolution?: (typeof RESOLUTIONS)[number];
  readonly format?: string;
  readonly webhookUrl?: string;
};

function badResponse(what: string): UpscaleError {
  return new UpscaleError('BAD_RESPONSE', `novita answered with JSON of an unexpected shape (${what})`, {
    hint: 'the API may have changed; run with --verbose to see the answer',
  });
}

function checkedId(taskId: string): string {
  if (!isSafeTaskId(taskId)) {
    throw new UpscaleError(
      'BAD_RESPONSE',
      `novita answered with an unusable task id ${JSON.stringify(taskId.slice(0, 40))}`,
    );
  }
  return taskId;
}

function imageUrls(value: unknown): string[] {
  if (!Array.isArray(value)) return [];
  return value.map((item) => asString(asObject(item)?.image_url)).filter((u): u is string => !!u);
}

function runningState(task: JsonObject): TaskState {
  const progress = asNumber(task.progress_percent);
  const eta = asNumber(task.eta);
  return {
    status: 'running',
    ...(progress !== undefined ? { progress: Math.min(100, Math.max(0, progress)) } : {}),
    // An ETA of 0 while still running means "unknown" more often than "now": polling on it would spin.
    ...(eta !== undefined && eta > 0 ? { etaSeconds: eta } : {}),
  };
}

/** Maps Novita's status vocabulary to the normalized state. */
export function novitaState(root: JsonObject, task: JsonObject, status: string): TaskState {
  switch (status.toUpperCase()) {
    case 'TASK_STATUS_QUEUED':
      return { status: 'queued' };
    case 'TASK_STATUS_SUCCEED':
      // An empty `images` is asked again by the poll loop (a paid result may be published late).
      return { status: 'succeeded', urls: imageUrls(root.images) };
    case 'TASK_STATUS_FAILED':
      return {
        status: 'failed',
        reason: asString(task.reason)?.trim() || 'novita reported the task as failed (no reason given)',
      };
    default:
      // TASK_STATUS_PROCESSING, TASK_STATUS_UNKNOWN and anything new: still working.
      return runningState(task);
  }
}

export function parseNovitaStatus(json: unknown, expectedId: string): ParsedTask {
  const root = asObject(json);
  const task = asObject(root?.task);
  const status = asString(task?.status);
  if (!root || !task || !status) throw badResponse('no task.status');
  return { taskId: checkedId(asString(task.task_id) || expectedId), state: novitaState(root, task, status) };
}

export function parseNovitaSubmit(json: unknown): ParsedTask {
  const taskId = asString(asObject(json)?.task_id);
  if (!taskId) throw badResponse('no task_id');
  return { taskId: checkedId(taskId), state: { status: 'queued' } };
}

/** `{"code","reason","message","metadata"}`: the message, with the reason code that scripts can match. */
export function novitaErrorMessage(json: unknown): string | undefined {
  return errorSentence(readErrorBody(json));
}

export function buildNovitaBody(params: NovitaParams, image: ImageSource): BodyObject {
  const body: Record<string, BodyObject[string]> = { image };
  if (params.resolution !== undefined) body.resolution = params.resolution;
  // Set by the run from --format when Novita can encode it (limits.outputFormats).
  if (params.format !== undefined) body.output_format = params.format;
  if (params.webhookUrl !== undefined) body.extra = { webhook: { url: params.webhookUrl } };
  return body;
}

export const novita: HttpProvider<NovitaParams> = {
  id: 'novita',
  title: 'Novita — Image Upscaler',
  refuses: {
    scale: {
      why: 'Novita takes a target resolution, not a factor',
      hint: 'use --resolution 2k|4k|8k instead',
    },
  },
  params: [
    enumParam(
      {
        key: 'resolution',
        flag: '--resolution <res>',
        description: 'target resolution',
        providerDefault: DEFAULT_RESOLUTION,
      },
      RESOLUTIONS,
    ),
    webhookParam,
  ],
  limits: { scales: [], inputs: { file: false, url: true }, outputFormats: ['jpeg', 'png', 'webp'] },
  scaleOf: () => undefined,
  outputSize: () => undefined,
  outputTag: (params) => params.resolution ?? DEFAULT_RESOLUTION,
  estimateCost: () => unknownCost('USD', 'price unknown: Novita publishes no price for this API'),
  api: {
    defaultBaseUrl: 'https://api.novita.ai',
    baseUrlEnv: 'UPSCALE_NOVITA_BASE_URL',
    keyEnvs: ['NOVITA_API_KEY'],
    configSection: 'novita',
    endpoint: `POST ${PATH}`,
    statusEndpoint: `GET ${STATUS_PATH}?task_id={task_id}`,
    authStyles: ['bearer'],
    // Unconfirmed: Novita documents limits per model in images per minute, not their number.
    defaultRateLimit: { limit: 60, windowMs: 60_000 },
    authHeaders,
    buildSubmit: (params, image) => ({ method: 'POST', path: PATH, body: buildNovitaBody(params, image) }),
    parseSubmit: parseNovitaSubmit,
    statusRequest: (taskId) => ({ method: 'GET', path: STATUS_PATH, query: { task_id: taskId } }),
    parseStatus: parseNovitaStatus,
    errorMessage: (_status, json) => novitaErrorMessage(json),
    speaksOfQuota,
  },
};
