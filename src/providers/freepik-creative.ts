/**
 * Upscaler Creative: `POST /v1/ai/image-upscaler`, status `GET /v1/ai/image-upscaler/{task-id}`
 * (specs/freepik-upscaler-creative.openapi.md). The same product is served by Magnific and Comfy.
 */
import { freepikStepCost } from './freepik-common.js';
import { copyFields, type FreepikProduct, freepikFamilyProvider } from './freepik-family.js';
import { FREEPIK_HOST } from './hosts.js';
import { enumParam, intParam, numberValue, scaleParam, textParam, webhookParam } from './params.js';
import type { BodyObject, ImageSource, ParamSpec, ParamValues, Size } from './types.js';

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

const PRESET_NAMES = ['faithful', 'balanced', 'creative'] as const;

/**
 * What each preset sends. Teams saw faces and glasses drift at creativity 0 and kept with
 * creativity -10, resemblance 10 and the sharpy engine (docs/providers.md); balanced sends nothing
 * beyond the defaults; creative is the far end of the documented sliders.
 */
const PRESETS: Readonly<Record<(typeof PRESET_NAMES)[number], Readonly<Record<string, string | number>>>> = {
  faithful: { engine: 'magnific_sharpy', creativity: -10, resemblance: 10 },
  balanced: {},
  creative: { creativity: 10, resemblance: -10 },
};

/** The preset's values under the flags given one by one (a flag always wins). */
function withPreset(params: ParamValues): ParamValues {
  const preset = PRESETS[params.preset as keyof typeof PRESETS];
  return preset ? { ...preset, ...params } : params;
}

const slider = (key: string, what: string) =>
  intParam({ key, flag: `--${key} <n>`, description: what, providerDefault: 0 }, -10, 10);

/** The creative upscaler's flags, wherever it is hosted. */
export const creativeParams: readonly ParamSpec[] = [
  scaleParam(
    {
      key: 'scale',
      flag: '--scale <factor>',
      description: 'upscale factor',
      providerDefault: '2x',
      alwaysSent: true,
    },
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
  enumParam(
    {
      key: 'preset',
      flag: '--preset <preset>',
      description:
        'faithful keeps faces, text and logos (creativity -10, resemblance 10, engine sharpy); balanced is the provider default; creative its creative end (creativity 10, resemblance -10); single flags override it',
    },
    PRESET_NAMES,
  ),
  webhookParam,
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

export function buildCreativeBody(given: ParamValues, image: ImageSource): BodyObject {
  const params = withPreset(given);
  const body: Record<string, BodyObject[string]> = { image };
  // Always sent, the documented default when unset: every tested client does so.
  body.scale_factor = `${creativeScale(params)}x`;
  copyFields(body, params, CREATIVE_FIELDS);
  return body;
}

/** Unset, the provider uses its documented default of 2x. */
const creativeScale = (params: ParamValues): number => numberValue(params.scale) ?? 2;

export const creativeProduct: FreepikProduct = {
  name: 'Upscaler Creative',
  path: '/v1/ai/image-upscaler',
  params: creativeParams,
  limits: {
    scales: [2, 4, 8, 16],
    maxOutputPixels: CREATIVE_MAX_OUTPUT_PIXELS,
    inputs: { file: true, url: false },
  },
  buildBody: buildCreativeBody,
  scaleOf: creativeScale,
  outputSize: (input: Size, params: ParamValues): Size => ({
    width: input.width * creativeScale(params),
    height: input.height * creativeScale(params),
  }),
  outputTag: (params) => `${creativeScale(params)}x`,
  estimateCost: (input, params) => freepikStepCost(input, creativeScale(params)),
};

export const freepikCreative = freepikFamilyProvider('freepik', creativeProduct, FREEPIK_HOST);
