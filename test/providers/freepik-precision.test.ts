import { describe, expect, it } from 'vitest';
import { largestFittingScale, outputFits } from '../../src/image/output-limits.js';
import { resolveParams } from '../../src/options.js';
import { freepikPrecision } from '../../src/providers/freepik-precision.js';
import { freepikPrecisionV2, PRECISION_V2_MAX_SIDE } from '../../src/providers/freepik-precision-v2.js';
import type { FileImage, HttpProvider, UrlImage } from '../../src/providers/types.js';

const image: FileImage = { kind: 'file', path: '/tmp/photo.jpg', size: 10 };
const url: UrlImage = { kind: 'url', url: 'https://example.com/photo.jpg' };
const body = (provider: HttpProvider, flags: Record<string, string>, img: FileImage | UrlImage = image) =>
  provider.api.buildSubmit(resolveParams(provider, flags), img).body;

describe('freepik-precision (v1): flags → body', () => {
  it.each([
    [{}, { image }],
    [{ sharpen: '60' }, { image, sharpen: 60 }],
    [{ smartGrain: '0' }, { image, smart_grain: 0 }],
    [{ ultraDetail: '100' }, { image, ultra_detail: 100 }],
    [
      { sharpen: '1', smartGrain: '2', ultraDetail: '3', webhookUrl: 'https://example.com/h' },
      { image, sharpen: 1, smart_grain: 2, ultra_detail: 3, webhook_url: 'https://example.com/h' },
    ],
  ])('%o → %o', (flags, expected) => {
    expect(body(freepikPrecision, flags)).toEqual(expected);
  });

  it.each([
    [{ sharpen: '101' }, /--sharpen "101" must be from 0 to 100/],
    [{ smartGrain: '-1' }, /--smart-grain "-1" must be from 0 to 100/],
    [{ ultraDetail: '2.5' }, /--ultra-detail "2.5" must be a whole number/],
    [{ flavor: 'photo' }, /--flavor does not apply to freepik-precision; it belongs to freepik-precision-v2/],
    [{ engine: 'sparkle' }, /--engine does not apply to freepik-precision; it belongs to freepik, comfy/],
  ])('refuses %o', (flags, message) => {
    expect(() => body(freepikPrecision, flags)).toThrow(message);
  });

  it('refuses --scale with a message that says why and what to use instead', () => {
    expect(() => body(freepikPrecision, { scale: '2x' })).toThrow(
      /--scale does not apply to freepik-precision: its API has no scale setting/,
    );
    try {
      body(freepikPrecision, { scale: '2x' });
    } catch (error) {
      expect((error as { hint?: string }).hint).toContain('-p freepik-precision-v2');
    }
  });

  it('talks to its own endpoints and knows no output size (the factor is undocumented)', () => {
    expect(freepikPrecision.api.buildSubmit({}, image).path).toBe('/v1/ai/image-upscaler-precision');
    expect(freepikPrecision.api.statusRequest('t-1')).toEqual({
      method: 'GET',
      path: '/v1/ai/image-upscaler-precision/t-1',
    });
    expect(freepikPrecision.outputSize({ width: 10, height: 10 }, {})).toBeUndefined();
    expect(freepikPrecision.outputTag({})).toBe('precision');
    expect(freepikPrecision.limits.inputs).toEqual({ file: true, url: false });
  });
});

describe('freepik-precision-v2: flags → body', () => {
  it.each([
    [{}, { image, scale_factor: 2 }],
    [{ scale: '4' }, { image, scale_factor: 4 }],
    [{ scale: '4x' }, { image, scale_factor: 4 }],
    [{ scale: '16X' }, { image, scale_factor: 16 }],
    [{ scale: '3' }, { image, scale_factor: 3 }],
    [{ flavor: 'photo_denoiser' }, { image, scale_factor: 2, flavor: 'photo_denoiser' }],
    [{ flavor: 'Sublime' }, { image, scale_factor: 2, flavor: 'sublime' }],
    [
      { sharpen: '7', smartGrain: '8', ultraDetail: '30', scale: '2', flavor: 'photo' },
      { image, sharpen: 7, smart_grain: 8, ultra_detail: 30, scale_factor: 2, flavor: 'photo' },
    ],
  ])('%o → %o', (flags, expected) => {
    expect(body(freepikPrecisionV2, flags)).toEqual(expected);
  });

  it('sends a URL input as it is', () => {
    expect(body(freepikPrecisionV2, { scale: '2' }, url)).toEqual({ image: url, scale_factor: 2 });
    expect(freepikPrecisionV2.limits.inputs).toEqual({ file: true, url: true });
  });

  it.each([
    [{ scale: '1' }, /--scale "1" must be a whole factor from 2 to 16/],
    [{ scale: '17x' }, /--scale "17x" must be a whole factor from 2 to 16/],
    [{ scale: '2.5' }, /--scale/],
    [{ scale: 'big' }, /--scale/],
    [{ flavor: 'cartoon' }, /--flavor "cartoon" must be one of sublime, photo, photo_denoiser/],
    [{ sharpen: '200' }, /--sharpen/],
  ])('refuses %o', (flags, message) => {
    expect(() => body(freepikPrecisionV2, flags)).toThrow(message);
  });

  it('knows the output size (2x, always sent, when unset), and names it apart from creative results', () => {
    expect(freepikPrecisionV2.outputSize({ width: 100, height: 50 }, { scale: 3 })).toEqual({
      width: 300,
      height: 150,
    });
    expect(freepikPrecisionV2.outputSize({ width: 100, height: 50 }, {})).toEqual({
      width: 200,
      height: 100,
    });
    expect(freepikPrecisionV2.outputTag({ scale: 4 })).toBe('precision-v2-4x');
    expect(freepikPrecisionV2.outputTag({})).toBe('precision-v2');
  });

  it('caps the output at 10,060 px per side (what clients enforce) and takes every factor from 2 to 16', () => {
    expect(PRECISION_V2_MAX_SIDE).toBe(10_060);
    // 2515 × 4 = 10,060 px: at the cap. One pixel wider is over it at 4x, and 3x is then the most.
    expect(outputFits({ width: 10_060, height: 4_000 }, freepikPrecisionV2)).toBe(true);
    expect(outputFits({ width: 10_064, height: 4_000 }, freepikPrecisionV2)).toBe(false);
    expect(outputFits({ width: 4_000, height: 10_064 }, freepikPrecisionV2)).toBe(false);
    const wide = { width: 2516, height: 1000 };
    expect(largestFittingScale(wide, freepikPrecisionV2, freepikPrecisionV2.limits.scales)).toBe(3);
    expect(largestFittingScale({ width: 2515, height: 1000 }, freepikPrecisionV2, [4])).toBe(4);
    expect(freepikPrecisionV2.limits.scales).toEqual([2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]);
  });
});
