import { describe, expect, it } from 'vitest';
import { local } from '../../src/providers/local.js';
import {
  enumParam,
  intParam,
  scaleParam,
  scaleRangeParam,
  textParam,
  webhookParam,
} from '../../src/providers/params.js';
import type { ParamSpec, ParamValue } from '../../src/providers/types.js';

const base = { key: 'k', flag: '--k <v>', description: 'd' };
const int = intParam(base, -10, 10);
const scale = scaleParam(base, [2, 4, 8], '2x|4x|8x');
const range = scaleRangeParam(base, 2, 16);
const choice = enumParam(base, ['photo', 'art'], { photos: 'photo' });
const text = textParam(base);
const localScale = local.params.find((p) => p.key === 'scale')!;

/** What check gives for a typed value, or the ParamError's message. */
function checked(spec: ParamSpec, value: ParamValue): ParamValue | string {
  try {
    return spec.check(value);
  } catch (error) {
    return `error: ${(error as Error).message}`;
  }
}

describe('ParamSpec.check: typed values checked as they are, never through text', () => {
  it.each<[string, ParamSpec, ParamValue, ParamValue | string]>([
    ['int in range', int, -3, -3],
    ['int out of range', int, 11, 'error: must be a whole number from -10 to 10'],
    ['int not whole', int, 2.5, 'error: must be a whole number from -10 to 10'],
    ['int as text', int, ' 7 ', 7],
    ['scale allowed', scale, 4, 4],
    ['scale not allowed', scale, 3, 'error: must be one of 2x|4x|8x'],
    ['scale as the flag writes it', scale, '8X', 8],
    ['scale range', range, 16, 16],
    ['scale range, not whole', range, 2.5, 'error: must be a whole factor from 2 to 16 (e.g. 4 or 4x)'],
    ['enum', choice, 'art', 'art'],
    ['enum alias', choice, 'PHOTOS', 'photo'],
    ['enum given a number', choice, 4, 'error: must be text, not a number'],
    ['text', text, 'a red fox', 'a red fox'],
    ['text given a number', text, 5, 'error: must be text, not a number'],
    ['url', webhookParam, 'https://example.com/hook', 'https://example.com/hook'],
    ['local factor', localScale, 2.5, 2.5],
    ['local factor too small', localScale, 1, 'error: must be a factor from 1.1 to 32'],
    ['local factor as text', localScale, '3x', 3],
  ])('%s', (_, spec, value, expected) => {
    expect(checked(spec, value)).toEqual(expected);
  });

  it('gives back what parse gave for the same flag text', () => {
    for (const [spec, raw] of [
      [int, '-4'],
      [scale, '2x'],
      [range, '6'],
      [choice, 'Photo'],
      [localScale, '2.5x'],
    ] as const) {
      const parsed = spec.parse(raw);
      expect(spec.check(parsed)).toEqual(parsed);
    }
  });
});
