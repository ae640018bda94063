/**
 * Upscaler Creative: `POST /v1/ai/image-upscaler`, status `GET /v1/ai/image-upscaler/{task-id}`
 * (Freepik's API reference, now Magnific's). The same product is served by Magnific and Comfy.
 */
import { freepikStepCost } from './freepik-common.js';
import { copyFields, type FreepikProduct, freepikFamilyProvider } from './freepik-family.js';
import { FREEPIK_HOST } from './hosts.js';
import { enumParam, intParam, scaleParam, textParam, webhookParam } from './params.js';
import type { BodyObject, ImageSource, ParamSpec, Size } from './types.js';

export const CREATIVE_MAX_OUTPUT_PIXELS = 25_300_000;
/** The factors the creative upscaler takes; unset, it uses its documented default. */
const CREATIVE_SCALES = [2, 4, 8, 16];
const CREATIVE_DEFAULT_SCALE = 2;

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

/** The creative upscaler's parameters, as its flags parse them. */
export type CreativeParams = {
  readonly scale?: number;
  readonly engine?: string;
  readonly optimizedFor?: string;
  readonly prompt?: string;
  readonly creativity?: number;
  readonly hdr?: number;
  readonly resemblance?: number;
  readonly fractality?: number;
  readonly preset?: (typeof PRESET_NAMES)[number];
  readonly webhookUrl?: string;
};

/**
 * What each preset sends. Teams saw faces and glasses drift at creativity 0 and kept with
 * creativity -10, resemblance 10 and the sharpy engine (docs/providers.md); balanced sends nothing
 * beyond the defaults; creative is the far end of the documented sliders.
 */
const PRESETS: Readonly<Record<(typeof PRESET_NAMES)[number], CreativeParams>> = {
  faithful: { engine: 'magnific_sharpy', creativity: -10, resemblance: 10 },
  balanced: {},
  creative: { creativity: 10, resemblance: -10 },
};

/** The preset's values under the flags given one by one (a flag always wins). */
function withPreset(params: CreativeParams): CreativeParams {
  return params.preset ? { ...PRESETS[params.preset], ...params } : params;
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
      providerDefault: `${CREATIVE_DEFAULT_SCALE}x`,
      alwaysSent: true,
    },
    CREATIVE_SCALES,
    CREATIVE_SCALES.map((s) => `${s}x`).join('|'),
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

export function buildCreativeBody(given: CreativeParams, image: ImageSource): BodyObject {
  const params = withPreset(given);
  const body: Record<string, BodyObject[string]> = { image };
  // Always sent, the documented default when unset: every tested client does so.
  body.scale_factor = `${creativeScale(params)}x`;
  copyFields(body, params, CREATIVE_FIELDS);
  return body;
}

const creativeScale = (params: CreativeParams): number => params.scale ?? CREATIVE_DEFAULT_SCALE;

export const creativeProduct: FreepikProduct<CreativeParams> = {
  name: 'Upscaler Creative',
  path: '/v1/ai/image-upscaler',
  params: creativeParams,
  limits: {
    scales: CREATIVE_SCALES,
    maxOutputPixels: CREATIVE_MAX_OUTPUT_PIXELS,
    inputs: { file: true, url: false },
  },
  buildBody: buildCreativeBody,
  scaleOf: creativeScale,
  outputSize: (input: Size, params: CreativeParams): Size => ({
    width: input.width * creativeScale(params),
    height: input.height * creativeScale(params),
  }),
  outputTag: (params) => `${creativeScale(params)}x`,
  estimateCost: (input, params) => freepikStepCost(input, creativeScale(params)),
};

export const freepikCreative = freepikFamilyProvider('freepik', creativeProduct, FREEPIK_HOST);
