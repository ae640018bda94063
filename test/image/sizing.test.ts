/** --fit, --width, --height: what is sent and what comes back, from the providers' limits only. */
import { describe, expect, it } from 'vitest';
import { finalSizeOf, fittedInput, planSizing } from '../../src/image/sizing.js';
import { providers } from '../../src/providers/index.js';

const creative = providers.freepik;
const v2 = providers['freepik-precision-v2'];
const pixels = (s: { width: number; height: number } | undefined) => (s ? s.width * s.height : 0);

describe('planSizing: the output limit', () => {
  it('sends the input as it is when the output fits', () => {
    expect(planSizing('a.jpg', { width: 320, height: 240 }, 1, creative, { scale: 4 }, {})).toEqual({
      params: { scale: 4 },
      expected: { width: 1280, height: 960 },
      finalSize: undefined,
    });
  });

  it('refuses an output over the limit, saying what --fit would send', () => {
    expect(() => planSizing('w.png', { width: 640, height: 160 }, 1, creative, { scale: 16 }, {})).toThrow(
      expect.objectContaining({
        code: 'IMAGE_TOO_LARGE',
        hint: 'use --scale 8x or smaller, pass --fit to send it downscaled to 628×157, or downscale the input first',
      }),
    );
  });

  it.each([
    ['creative 16x, 25.3 MP', creative, { width: 640, height: 160 }, { scale: 16 }],
    ['creative 8x, 25.3 MP', creative, { width: 2000, height: 1500 }, { scale: 8 }],
    ['precision v2 16x, 10,060 px per side', v2, { width: 1000, height: 700 }, { scale: 16 }],
  ])('--fit (%s) shrinks the input just enough, keeping its aspect', (_, provider, input, params) => {
    const plan = planSizing('in.png', input, 1, provider, params, { fit: true });
    const sent = plan.send!;
    const { maxOutputPixels = Infinity, maxOutputSide = Infinity } = provider.limits;
    expect(pixels(plan.expected)).toBeLessThanOrEqual(maxOutputPixels);
    expect(Math.max(plan.expected!.width, plan.expected!.height)).toBeLessThanOrEqual(maxOutputSide);
    // Just enough: one pixel more on the long side would not fit.
    const bigger = provider.outputSize({ width: sent.width + 1, height: sent.height + 1 }, params)!;
    expect(pixels(bigger) > maxOutputPixels || Math.max(bigger.width, bigger.height) > maxOutputSide).toBe(
      true,
    );
    expect(Math.abs(sent.width / sent.height - input.width / input.height)).toBeLessThan(0.02);
  });

  it('fittedInput matches the limit to the pixel', () => {
    expect(fittedInput({ width: 640, height: 160 }, creative, { scale: 16 })).toEqual({
      width: 628,
      height: 157,
    });
  });
});

describe('planSizing: --width/--height', () => {
  it.each([
    // input, orientation, provider, options → scale, provider output, final size
    [
      { width: 320, height: 240 },
      1,
      creative,
      { width: 1000 },
      4,
      { width: 1280, height: 960 },
      { width: 1000, height: 750 },
    ],
    [
      { width: 320, height: 240 },
      1,
      creative,
      { width: 640 },
      2,
      { width: 640, height: 480 },
      { width: 640, height: 480 },
    ],
    [
      { width: 320, height: 240 },
      1,
      v2,
      { width: 1000 },
      4,
      { width: 1280, height: 960 },
      { width: 1000, height: 750 },
    ],
    [
      { width: 320, height: 240 },
      1,
      v2,
      { height: 700 },
      3,
      { width: 960, height: 720 },
      { width: 933, height: 700 },
    ],
    // Two sides: fit inside the box, aspect kept.
    [
      { width: 320, height: 240 },
      1,
      creative,
      { width: 1000, height: 500 },
      4,
      { width: 1280, height: 960 },
      { width: 667, height: 500 },
    ],
    // Stored 240×160, shown 160×240 (orientation 6): --width is the shown width.
    [
      { width: 240, height: 160 },
      6,
      creative,
      { width: 600 },
      4,
      { width: 960, height: 640 },
      { width: 600, height: 900 },
    ],
  ])(
    '%o (orientation %d) on %s with %o → scale %d',
    (input, orientation, provider, options, scale, expected, final) => {
      const plan = planSizing('in.jpg', input, orientation, provider, {}, options);
      expect(plan).toEqual({ params: { scale }, expected, finalSize: final });
    },
  );

  it('refuses a size no scale reaches within the limit', () => {
    expect(() =>
      planSizing('in.jpg', { width: 1000, height: 750 }, 1, creative, {}, { width: 6000 }),
    ).toThrow(/no scale of freepik reaches 6000×4500 within its output limit/);
    expect(() => planSizing('in.jpg', { width: 100, height: 80 }, 1, v2, {}, { width: 4000 })).toThrow(
      /no scale of freepik-precision-v2 reaches 4000×3200 \(the largest is 16x\)/,
    );
  });

  it('refuses a provider without scale factors', () => {
    expect(() =>
      planSizing('in.jpg', { width: 320, height: 240 }, 1, providers.novita, {}, { width: 1000 }),
    ).toThrow(/need a provider with known scale factors; novita has none/);
  });

  it.each([
    [{ width: 100, height: 50 }, {}, undefined],
    [{ width: 100, height: 50 }, { width: 30 }, { width: 30, height: 15 }],
    [{ width: 100, height: 50 }, { height: 30 }, { width: 60, height: 30 }],
    [
      { width: 100, height: 50 },
      { width: 30, height: 30 },
      { width: 30, height: 15 },
    ],
  ])('finalSizeOf(%o, %o) = %o', (shown, options, final) => {
    expect(finalSizeOf(shown, options)).toEqual(final);
  });
});
