/**
 * Freepik / Magnific Upscaler Creative: `POST /v1/ai/image-upscaler`,
 * status `GET /v1/ai/image-upscaler/{task-id}` (specs/freepik-upscaler-creative.openapi.md).
 */

import {
  freepikAuthHeaders,
  freepikErrorMessage,
  freepikStepCost,
  parseFreepikList,
  parseFreepikTask,
} from './freepik-common.js';
import { enumParam, httpsUrlParam, intParam, numberValue, scaleParam, textParam } from './params.js';
import type { BodyObject, ImageSource, ParamSpec, ParamValues, Provider, Size } from './types.js';

export const CREATIVE_MAX_OUTPUT_PIXELS = 25_300_000;

const ENGINES = ['automatic', 'magnific_illusio', 'magnific_sharpy', 'magnific_sparkle'] as const;
const OPTIMIZED_FOR = [
  'standard',
  'soft_portraits',
  'hard_portraits',
  'art_n_illustration',
  'videogame_assets',
  'nature_n_landscapes',
  'films_n_photography',
  '3d_renders',
  'science_fiction_n_horror',
] as const;

const slider = (key: string, what: string) =>
  intParam({ key, flag: `--${key} <n>`, description: what, providerDefault: 0 }, -10, 10);

/** The creative upscaler's flags; the Comfy proxy of the same API reuses them. */
export const creativeParams: readonly ParamSpec[] = [
  scaleParam(
    { key: 'scale', flag: '--scale <factor>', description: 'upscale factor', providerDefault: '2x' },
    [2, 4, 8, 16],
    '2x|4x|8x|16x',
  ),
  enumParam(
    {
      key: 'engine',
      flag: '--engine <engine>',
      description: 'Magnific model engine',
      providerDefault: 'automatic',
    },
    ENGINES,
    { illusio: 'magnific_illusio', sharpy: 'magnific_sharpy', sparkle: 'magnific_sparkle' },
    ['automatic', 'illusio', 'sharpy', 'sparkle'],
  ),
  enumParam(
    {
      key: 'optimizedFor',
      flag: '--optimized-for <style>',
      description: 'style to optimize for',
      providerDefault: 'standard',
    },
    OPTIMIZED_FOR,
  ),
  textParam({ key: 'prompt', flag: '--prompt <text>', description: 'prompt to guide the upscale' }),
  slider('creativity', "AI's creativity"),
  slider('hdr', 'level of definition and detail'),
  slider('resemblance', 'resemblance to the original'),
  slider('fractality', 'prompt strength and intricacy per square pixel'),
  httpsUrlParam({
    key: 'webhookUrl',
    flag: '--webhook-url <url>',
    description: 'URL notified on every status change',
  }),
];

/** Flag key → body field; only what the user set is sent. */
const CREATIVE_FIELDS: Readonly<Record<string, string>> = {
  engine: 'engine',
  optimizedFor: 'optimized_for',
  prompt: 'prompt',
  creativity: 'creativity',
  hdr: 'hdr',
  resemblance: 'resemblance',
  fractality: 'fractality',
  webhookUrl: 'webhook_url',
};

export function buildCreativeBody(params: ParamValues, image: ImageSource): BodyObject {
  const body: Record<string, BodyObject[string]> = { image };
  const scale = numberValue(params.scale);
  if (scale !== undefined) body.scale_factor = `${scale}x`;
  for (const [key, field] of Object.entries(CREATIVE_FIELDS)) {
    const value = params[key];
    if (value !== undefined) body[field] = value;
  }
  return body;
}

const creativeScale = (params: ParamValues): number => numberValue(params.scale) ?? 2;

/** Pieces of the creative adapter that do not depend on where it is hosted. */
export const creativeCore = {
  params: creativeParams,
  errorMessage: (_status: number, json: unknown) => freepikErrorMessage(json),
  scaleOf: creativeScale,
  outputSize: (input: Size, params: ParamValues): Size => ({
    width: input.width * creativeScale(params),
    height: input.height * creativeScale(params),
  }),
  outputTag: (params: ParamValues) => `${creativeScale(params)}x`,
  estimateCost: (input: Size, params: ParamValues) => freepikStepCost(input, creativeScale(params)),
} as const;

const PATH = '/v1/ai/image-upscaler';

export const freepikCreative = {
  id: 'freepik',
  title: 'Freepik / Magnific Upscaler Creative',
  api: {
    defaultBaseUrl: 'https://api.freepik.com',
    baseUrlEnv: 'UPSCALE_FREEPIK_BASE_URL',
    keyEnv: 'FREEPIK_API_KEY',
    configKey: 'freepik.apiKey',
    endpoint: `POST ${PATH}`,
    authStyles: ['x-freepik-api-key', 'x-magnific-api-key'],
  },
  limits: {
    scales: [2, 4, 8, 16],
    maxOutputPixels: CREATIVE_MAX_OUTPUT_PIXELS,
    inputs: { file: true, url: false },
  },
  ...creativeCore,
  authHeaders: freepikAuthHeaders,
  buildSubmit: (params, image) => ({ method: 'POST', path: PATH, body: buildCreativeBody(params, image) }),
  parseSubmit: (json) => parseFreepikTask(json),
  statusRequest: (taskId) => ({ method: 'GET', path: `${PATH}/${encodeURIComponent(taskId)}` }),
  parseStatus: (json, taskId) => parseFreepikTask(json, taskId),
  listRequest: () => ({ method: 'GET', path: PATH }),
  parseList: parseFreepikList,
} satisfies Provider;
