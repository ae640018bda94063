import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { choicesOf, cliFlagsOf } from '../../src/cli/cli-flags.js';
import { PROVIDER_IDS, providers } from '../../src/providers/index.js';

const flags = cliFlagsOf(PROVIDER_IDS, providers);

describe('cliFlagsOf', () => {
  it('offers every flag of every provider once', () => {
    const offered = flags.options.map((o) => o.flag);
    expect(new Set(offered).size).toBe(offered.length);
    for (const id of PROVIDER_IDS) {
      for (const spec of providers[id].params) expect(offered).toContain(spec.flag);
    }
    expect(flags.ids).toEqual(PROVIDER_IDS);
  });

  it('says which provider takes which values of a shared flag', () => {
    const scale = flags.options.find((o) => o.flag.startsWith('--scale'));
    expect(scale?.description).toMatch(/ for freepik\b.*; .* for freepik-precision-v2/);
  });

  it('is what the build wrote for the CLI (npm run build regenerates it)', async () => {
    // `npm test` builds first; the built table must not lag behind the providers.
    const built = JSON.parse(await readFile('dist/cli/cli-flags.json', 'utf8'));
    expect(built).toEqual(JSON.parse(JSON.stringify(flags)));
  });
});

describe('choicesOf (the values shell completion offers)', () => {
  it.each([
    ['2x|4x|8x|16x', ['2x', '4x', '8x', '16x']],
    ['2x|3x|4x|8x|16x, or any factor from 1.1 to 32 (e.g. 2.5)', ['2x', '3x', '4x', '8x', '16x']],
    ['automatic|illusio|sharpy|sparkle', ['automatic', 'illusio', 'sharpy', 'sparkle']],
    ['-10..10', []],
    ['2..16', []],
    ['text', []],
    ['https URL', []],
  ])('%j → %j', (valid, words) => {
    expect(choicesOf(valid)).toEqual(words);
  });

  it('gives --scale the scales every provider lists, in order of size', () => {
    const scale = flags.options.find((o) => o.flag.startsWith('--scale'));
    expect(scale?.values).toEqual(['2x', '3x', '4x', '8x', '16x']);
  });
});
