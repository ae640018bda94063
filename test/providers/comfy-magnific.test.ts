import { describe, expect, it } from 'vitest';
import { resolveParams } from '../../src/options.js';
import { comfyCreative, comfyPrecisionV2 } from '../../src/providers/comfy.js';
import { freepikCreative } from '../../src/providers/freepik-creative.js';
import { freepikPrecision } from '../../src/providers/freepik-precision.js';
import { freepikPrecisionV2 } from '../../src/providers/freepik-precision-v2.js';
import { magnificCreative, magnificPrecision, magnificPrecisionV2 } from '../../src/providers/magnific.js';
import type { FileImage, HttpProvider, UrlImage } from '../../src/providers/types.js';

const file: FileImage = { kind: 'file', path: '/tmp/photo.jpg', size: 10 };
const url: UrlImage = { kind: 'url', url: 'https://example.com/photo.jpg' };
const submit = (provider: HttpProvider, flags: Record<string, string>, image: FileImage | UrlImage = file) =>
  provider.api.buildSubmit(resolveParams(provider, flags), image);

describe('comfy: the creative flags on the Comfy proxy', () => {
  it.each([
    [{}, { image: file, scale_factor: '2x' }],
    [
      { scale: '4x', engine: 'sharpy' },
      { image: file, scale_factor: '4x', engine: 'magnific_sharpy' },
    ],
    [
      { prompt: 'a fox', creativity: '-3', optimizedFor: 'films_n_photography' },
      {
        image: file,
        scale_factor: '2x',
        prompt: 'a fox',
        creativity: -3,
        optimized_for: 'films_n_photography',
      },
    ],
  ])('%o → %o', (flags, expected) => {
    const req = submit(comfyCreative, flags);
    expect(req).toEqual({ method: 'POST', path: '/proxy/freepik/v1/ai/image-upscaler', body: expected });
  });

  it('passes a URL input through and takes files as well', () => {
    expect(submit(comfyCreative, {}, url).body).toEqual({ image: url, scale_factor: '2x' });
    expect(comfyCreative.limits.inputs).toEqual({ file: true, url: true });
  });

  it('polls below the proxy prefix and has no list endpoint', () => {
    expect(comfyCreative.api.statusRequest('abc')).toEqual({
      method: 'GET',
      path: '/proxy/freepik/v1/ai/image-upscaler/abc',
    });
    expect(comfyCreative.api.listRequest).toBeUndefined();
  });

  it('sends the key as Bearer by default, X-API-KEY on request', () => {
    expect(comfyCreative.api.authStyles).toEqual(['bearer', 'x-api-key']);
    expect(comfyCreative.api.authHeaders('k', 'bearer')).toEqual({ authorization: 'Bearer k' });
    expect(comfyCreative.api.authHeaders('k', 'x-api-key')).toEqual({ 'x-api-key': 'k' });
  });

  it('keeps the 25.3 MP output cap and the creative scales', () => {
    expect(comfyCreative.limits).toMatchObject({ scales: [2, 4, 8, 16], maxOutputPixels: 25_300_000 });
  });

  it('reads Comfy error bodies {"error","message"} and 404 {"message"}', () => {
    expect(comfyCreative.api.errorMessage(400, { error: 'Bad Request', message: 'bad image' })).toBe(
      'bad image',
    );
    expect(comfyCreative.api.errorMessage(404, { message: 'Task not found' })).toBe('Task not found');
  });

  it('serves precision v2 next to creative', () => {
    expect(submit(comfyPrecisionV2, { scale: '6', flavor: 'photo' }, url)).toEqual({
      method: 'POST',
      path: '/proxy/freepik/v1/ai/image-upscaler-precision-v2',
      body: { image: url, scale_factor: 6, flavor: 'photo' },
    });
  });
});

describe('magnific: the three Freepik products on api.magnific.com', () => {
  it.each([
    [magnificCreative, freepikCreative, { scale: '8x', hdr: '2' }],
    [magnificPrecision, freepikPrecision, { sharpen: '10' }],
    [magnificPrecisionV2, freepikPrecisionV2, { scale: '5', flavor: 'sublime' }],
  ])('%# sends exactly what its Freepik twin sends', (magnific, freepik, flags) => {
    expect(submit(magnific, flags)).toEqual(submit(freepik, flags));
    expect(magnific.api.statusRequest('t')).toEqual(freepik.api.statusRequest('t'));
    expect(magnific.sameApiAs).toBe(freepik.id);
    expect(magnific.limits).toEqual(freepik.limits);
  });

  it('uses the Magnific host and header, falling back to the Freepik key', () => {
    expect(magnificCreative.api).toMatchObject({
      defaultBaseUrl: 'https://api.magnific.com',
      baseUrlEnv: 'UPSCALE_MAGNIFIC_BASE_URL',
      keyEnvs: ['MAGNIFIC_API_KEY', 'FREEPIK_API_KEY'],
      configSection: 'magnific',
      keyFallbackSections: ['freepik'],
      authStyles: ['x-magnific-api-key', 'x-freepik-api-key'],
    });
    expect(magnificCreative.api.authHeaders('k', 'x-magnific-api-key')).toEqual({
      'x-magnific-api-key': 'k',
    });
  });
});
