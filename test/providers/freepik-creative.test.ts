import { describe, expect, it } from 'vitest';
import { UpscaleError } from '../../src/errors.js';
import { resolveParams } from '../../src/options.js';
import { freepikCreative } from '../../src/providers/freepik-creative.js';
import type { FileImage } from '../../src/providers/types.js';

const image: FileImage = { kind: 'file', path: '/tmp/photo.jpg', size: 10 };
const body = (flags: Record<string, string>) =>
  freepikCreative.api.buildSubmit(resolveParams(freepikCreative, flags), image).body;

describe('freepik creative: flags → body', () => {
  it.each([
    [{}, { image, scale_factor: '2x' }],
    [{ scale: '4x' }, { image, scale_factor: '4x' }],
    [{ scale: '4' }, { image, scale_factor: '4x' }],
    [{ scale: '16X' }, { image, scale_factor: '16x' }],
    [{ engine: 'sparkle' }, { image, scale_factor: '2x', engine: 'magnific_sparkle' }],
    [{ engine: 'magnific_illusio' }, { image, scale_factor: '2x', engine: 'magnific_illusio' }],
    [{ engine: 'Sharpy' }, { image, scale_factor: '2x', engine: 'magnific_sharpy' }],
    [{ engine: 'automatic' }, { image, scale_factor: '2x', engine: 'automatic' }],
    [{ optimizedFor: 'soft_portraits' }, { image, scale_factor: '2x', optimized_for: 'soft_portraits' }],
    [{ prompt: 'Crazy dog in the space' }, { image, scale_factor: '2x', prompt: 'Crazy dog in the space' }],
    [
      { creativity: '2', hdr: '1', resemblance: '0', fractality: '-1' },
      { image, scale_factor: '2x', creativity: 2, hdr: 1, resemblance: 0, fractality: -1 },
    ],
    [{ creativity: '-10' }, { image, scale_factor: '2x', creativity: -10 }],
    [
      { webhookUrl: 'https://example.com/hook' },
      { image, scale_factor: '2x', webhook_url: 'https://example.com/hook' },
    ],
  ])('%o → %o', (flags, expected) => {
    expect(body(flags)).toEqual(expected);
  });

  it.each([
    [{ scale: '3x' }, /--scale "3x" must be one of 2x\|4x\|8x\|16x/],
    [{ scale: '32' }, /--scale/],
    [{ engine: 'turbo' }, /--engine "turbo" must be one of automatic, illusio, sharpy, sparkle/],
    [{ creativity: '11' }, /--creativity "11" must be from -10 to 10/],
    [{ hdr: '1.5' }, /--hdr "1.5" must be a whole number/],
    [{ fractality: 'abc' }, /--fractality/],
    [{ optimizedFor: 'cats' }, /--optimized-for/],
    [{ prompt: '  ' }, /--prompt/],
    [{ webhookUrl: 'http://example.com' }, /--webhook-url .* https/],
  ])('refuses %o', (flags, message) => {
    expect(() => body(flags)).toThrow(message);
    try {
      body(flags);
    } catch (error) {
      expect(error).toBeInstanceOf(UpscaleError);
      expect((error as UpscaleError).code).toBe('USAGE');
    }
  });

  it('builds the status request with an encoded id', () => {
    expect(freepikCreative.api.statusRequest('abc-123')).toEqual({
      method: 'GET',
      path: '/v1/ai/image-upscaler/abc-123',
    });
  });

  it('computes output size and tag from the scale', () => {
    expect(freepikCreative.outputSize({ width: 100, height: 50 }, { scale: 4 })).toEqual({
      width: 400,
      height: 200,
    });
    expect(freepikCreative.outputTag({})).toBe('2x');
    expect(freepikCreative.outputTag({ scale: 8 })).toBe('8x');
  });
});
