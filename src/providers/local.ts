/**
 * `-p local`: super-resolution on this machine (src/local): the `photo` model trained here, or
 * ESRGAN models. Like every adapter this file
 * is pure — it describes flags and limits; the run layer calls the engine.
 */
import { enumParam } from './params.js';
import { type EngineProvider, ParamError, type ParamSpec, type Size } from './types.js';

/** The engine refuses outputs above this (sharp's pixel limit). */
const MAX_OUTPUT_PIXELS = 268_402_689;
const MAX_SCALE = 32;
const DEFAULT_SCALE = 4;
/** Factors that are model passes or chains of them with some model (others resize the nearest). */
const MODEL_SCALES = [2, 3, 4, 8, 16];
/** The default first (src/local/models.ts says more about each). */
const MODELS = ['photo', 'slim', 'medium', 'thick'] as const;

/** The local engine's parameters, as its flags parse them. */
export type LocalParams = {
  readonly scale?: number;
  readonly model?: (typeof MODELS)[number];
};
/** As the flag's help says: a smaller step is a resize, not a job for a 2x model. */
const MIN_SCALE = 1.1;

const scale: ParamSpec = {
  key: 'scale',
  flag: '--scale <factor>',
  description: 'upscale factor; photo has 2x, 4x nets, ESRGAN 2x-8x; others: nearest, resized',
  valid: `${MODEL_SCALES.map((s) => `${s}x`).join('|')}, or any factor from 1.1 to ${MAX_SCALE} (e.g. 2.5)`,
  providerDefault: `${DEFAULT_SCALE}x`,
  parse(raw) {
    const match = /^\s*(\d+(?:\.\d+)?)\s*x?\s*$/i.exec(raw);
    return scale.check(match ? Number(match[1]) : Number.NaN);
  },
  check(value) {
    if (typeof value === 'string') return scale.parse(value);
    if (!(value >= MIN_SCALE && value <= MAX_SCALE))
      throw new ParamError(`must be a factor from ${MIN_SCALE} to ${MAX_SCALE}`);
    return value;
  },
};

const model = enumParam(
  {
    key: 'model',
    flag: '--model <model>',
    description: 'photo (trained on photos: the fastest and best), or an ESRGAN model (slim, medium, thick)',
    providerDefault: MODELS[0],
  },
  MODELS,
);

const scaleOf = (params: LocalParams): number => params.scale ?? DEFAULT_SCALE;
const modelOf = (params: LocalParams): (typeof MODELS)[number] => params.model ?? MODELS[0];

export const local = {
  id: 'local',
  title: 'Local super-resolution (offline, no key)',
  params: [scale, model],
  limits: {
    scales: MODEL_SCALES,
    maxOutputPixels: MAX_OUTPUT_PIXELS,
    inputs: { file: true, url: false },
  },
  scaleOf,
  outputSize: (input: Size, params: LocalParams): Size => ({
    width: Math.round(input.width * scaleOf(params)),
    height: Math.round(input.height * scaleOf(params)),
  }),
  outputTag: (params) => `${scaleOf(params)}x`,
  estimateCost: () => ({ amount: 0, currency: 'EUR', basis: 'runs on this machine' }),
  engine: {
    defaultConcurrency: 1,
    describe: (params) => {
      const m = modelOf(params);
      return { engine: m === 'photo' ? 'cnn' : 'esrgan', model: m, scale: scaleOf(params) };
    },
    modelOf,
  },
} satisfies EngineProvider<LocalParams>;
