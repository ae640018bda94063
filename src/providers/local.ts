/**
 * `-p local`: ESRGAN super-resolution on this machine (src/local). Like every adapter this file
 * is pure — it describes flags and limits; the run layer calls the engine.
 */
import { enumParam } from './params.js';
import { type LocalProvider, ParamError, type ParamSpec, type ParamValues, type Size } from './types.js';

/** The engine refuses outputs above this (sharp's pixel limit). */
const MAX_OUTPUT_PIXELS = 268_402_689;
const MAX_SCALE = 32;

const scale: ParamSpec = {
  key: 'scale',
  flag: '--scale <factor>',
  description: 'upscale factor; 2x, 3x, 4x, 8x are model passes, others resize the nearest',
  valid: '2x|3x|4x|8x|16x, or any factor from 1.1 to 32 (e.g. 2.5)',
  providerDefault: '4x',
  parse(raw) {
    const match = /^\s*(\d+(?:\.\d+)?)\s*x?\s*$/i.exec(raw);
    const value = match ? Number(match[1]) : Number.NaN;
    if (!(value > 1 && value <= MAX_SCALE))
      throw new ParamError(`must be a factor above 1 and at most ${MAX_SCALE}`);
    return value;
  },
};

const model = enumParam(
  {
    key: 'model',
    flag: '--model <model>',
    description: 'ESRGAN model size (speed vs. crispness)',
    providerDefault: 'slim',
  },
  ['slim', 'medium', 'thick'],
);

const scaleOf = (params: ParamValues): number => (typeof params.scale === 'number' ? params.scale : 4);

export const local = {
  kind: 'local',
  id: 'local',
  title: 'Local ESRGAN (offline, no key)',
  params: [scale, model],
  limits: {
    scales: [2, 3, 4, 8, 16],
    maxOutputPixels: MAX_OUTPUT_PIXELS,
    inputs: { file: true, url: false },
  },
  defaultConcurrency: 1,
  describe: (params) => ({ engine: 'esrgan', model: String(params.model ?? 'slim'), scale: scaleOf(params) }),
  scaleOf,
  outputSize: (input: Size, params: ParamValues): Size => ({
    width: Math.round(input.width * scaleOf(params)),
    height: Math.round(input.height * scaleOf(params)),
  }),
  outputTag: (params) => `${scaleOf(params)}x`,
  estimateCost: () => ({ amount: 0, currency: 'EUR', basis: 'runs on this machine' }),
} satisfies LocalProvider;
