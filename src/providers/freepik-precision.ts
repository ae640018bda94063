/**
 * Upscaler Precision (v1): `POST /v1/ai/image-upscaler-precision`, status `GET …/{task-id}`
 * (Freepik's API reference, now Magnific's). Its API has no scale field and its factor
 * is undocumented, so the output size is unknown before the result arrives.
 */
import { unknownCost } from './cost.js';
import { copyFields, type FreepikProduct, freepikFamilyProvider } from './freepik-family.js';
import { FREEPIK_HOST } from './hosts.js';
import { intParam, webhookParam } from './params.js';
import type { BodyObject, ParamSpec } from './types.js';

/** The three 0..100 sliders both precision upscalers take; only their documented defaults differ. */
export function precisionSliders(defaults: {
  sharpen: number;
  smartGrain: number;
  ultraDetail: number;
}): ParamSpec[] {
  return [
    intParam(
      { key: 'sharpen', flag: '--sharpen <n>', description: 'sharpness', providerDefault: defaults.sharpen },
      0,
      100,
    ),
    intParam(
      {
        key: 'smartGrain',
        flag: '--smart-grain <n>',
        description: 'grain/texture kept or added',
        providerDefault: defaults.smartGrain,
      },
      0,
      100,
    ),
    intParam(
      {
        key: 'ultraDetail',
        flag: '--ultra-detail <n>',
        description: 'fine detail added',
        providerDefault: defaults.ultraDetail,
      },
      0,
      100,
    ),
  ];
}

/** Flag key → body field of the precision sliders. */
export const PRECISION_FIELDS: Readonly<Record<string, string>> = {
  sharpen: 'sharpen',
  smartGrain: 'smart_grain',
  ultraDetail: 'ultra_detail',
  webhookUrl: 'webhook_url',
};

/** Both precision upscalers' sliders, as their flags parse them. */
export type PrecisionParams = {
  readonly sharpen?: number;
  readonly smartGrain?: number;
  readonly ultraDetail?: number;
  readonly webhookUrl?: string;
};

export const precisionProduct: FreepikProduct<PrecisionParams> = {
  name: 'Upscaler Precision',
  path: '/v1/ai/image-upscaler-precision',
  params: [...precisionSliders({ sharpen: 50, smartGrain: 7, ultraDetail: 30 }), webhookParam],
  limits: { scales: [], inputs: { file: true, url: false } },
  refuses: {
    scale: {
      why: 'its API has no scale setting (the provider picks the factor)',
      hint: 'drop --scale, or use -p freepik-precision-v2 --scale 2..16',
    },
  },
  buildBody(params, image) {
    const body: Record<string, BodyObject[string]> = { image };
    copyFields(body, params, PRECISION_FIELDS);
    return body;
  },
  scaleOf: () => undefined,
  outputSize: () => undefined,
  outputTag: () => 'precision',
  estimateCost: () => unknownCost('EUR', 'price unknown: the factor this API applies is undocumented'),
};

export const freepikPrecision = freepikFamilyProvider('freepik-precision', precisionProduct, FREEPIK_HOST);
