/**
 * Upscaler Precision V2: `POST /v1/ai/image-upscaler-precision-v2`, status `GET …/{task-id}`
 * (Freepik's API reference, now Magnific's). Takes an https URL as well as base64, and an
 * integer scale 2..16 whose default is undocumented: unset, it is not sent and the size is unknown.
 */
import { freepikStepCost } from './freepik-common.js';
import { copyFields, type FreepikProduct, freepikFamilyProvider } from './freepik-family.js';
import { PRECISION_FIELDS, type PrecisionParams, precisionSliders } from './freepik-precision.js';
import { FREEPIK_HOST } from './hosts.js';
import { enumParam, scaleRangeParam, webhookParam } from './params.js';
import type { BodyObject } from './types.js';

/** Clients cap the output at this many pixels per side (docs/providers.md; unconfirmed as a server rule). */
export const PRECISION_V2_MAX_SIDE = 10_060;

const FLAVORS = ['sublime', 'photo', 'photo_denoiser'] as const;
const MIN_SCALE = 2;
const MAX_SCALE = 16;

/** Precision v2's parameters, as its flags parse them. */
export type PrecisionV2Params = PrecisionParams & {
  readonly scale?: number;
  readonly flavor?: (typeof FLAVORS)[number];
};

/**
 * The spec gives `scale_factor` no default; every tested client sends one, so 2 is sent when
 * unset (the smallest factor, what the emulator and earlier runs assumed). `flavor` has no
 * documented default either and is sent only when given.
 */
const ASSUMED_SCALE = MIN_SCALE;
const v2Scale = (params: PrecisionV2Params): number => params.scale ?? ASSUMED_SCALE;
const SCALES = Array.from({ length: MAX_SCALE - MIN_SCALE + 1 }, (_, i) => i + MIN_SCALE);

export const precisionV2Product: FreepikProduct<PrecisionV2Params> = {
  name: 'Upscaler Precision V2',
  path: '/v1/ai/image-upscaler-precision-v2',
  params: [
    scaleRangeParam(
      {
        key: 'scale',
        flag: '--scale <factor>',
        description: 'upscale factor (the spec gives no default: 2 is sent when unset)',
        providerDefault: ASSUMED_SCALE,
        alwaysSent: true,
      },
      MIN_SCALE,
      MAX_SCALE,
    ),
    enumParam(
      {
        key: 'flavor',
        flag: '--flavor <flavor>',
        description: 'style: sublime for art, photo, photo_denoiser for noisy photos',
      },
      FLAVORS,
    ),
    ...precisionSliders({ sharpen: 7, smartGrain: 7, ultraDetail: 30 }),
    webhookParam,
  ],
  limits: { scales: SCALES, maxOutputSide: PRECISION_V2_MAX_SIDE, inputs: { file: true, url: true } },
  buildBody(params, image) {
    const body: Record<string, BodyObject[string]> = { image };
    // The spec takes an integer or a digit string; the integer is the unambiguous form.
    body.scale_factor = v2Scale(params);
    if (params.flavor !== undefined) body.flavor = params.flavor;
    copyFields(body, params, PRECISION_FIELDS);
    return body;
  },
  scaleOf: v2Scale,
  outputSize: (input, params) => ({
    width: input.width * v2Scale(params),
    height: input.height * v2Scale(params),
  }),
  // Not plain `4x`: that names a creative result, which would then be skipped as already done.
  // Unset keeps its old name (`precision-v2`), so outputs of earlier runs are still found.
  outputTag: (params) => (params.scale === undefined ? 'precision-v2' : `precision-v2-${params.scale}x`),
  estimateCost: (input, params) => freepikStepCost(input, v2Scale(params)),
};

export const freepikPrecisionV2 = freepikFamilyProvider(
  'freepik-precision-v2',
  precisionV2Product,
  FREEPIK_HOST,
);
