import { describe, expect, it } from 'vitest';
import { type OptionFlags, optionValuesOf } from '../src/cli/flag-values.js';
import { UpscaleError } from '../src/errors.js';
import {
  allParamKeys,
  type ConfigReader,
  type Env,
  normalizeOptions,
  type OptionValues,
  paramsFromFlags,
  resolveProvider,
} from '../src/options.js';

const config = (values: Record<string, string> = {}): ConfigReader => ({ get: (key) => values[key] });

/** As the CLI does it: the flags (the provider's own among them) read into typed values, then checked. */
const resolve = (
  raw: OptionFlags & Readonly<Record<string, string | boolean>>,
  env: Env = {},
  stored: Record<string, string> = {},
) => {
  const params = Object.fromEntries(
    Object.entries(raw).filter(([key]) => allParamKeys().includes(key)),
  ) as Record<string, string>;
  const values = optionValuesOf(raw);
  const given =
    Object.keys(params).length > 0
      ? paramsFromFlags(resolveProvider(values, config(stored)), params)
      : undefined;
  return normalizeOptions(given ? { ...values, params: given } : values, env, config(stored));
};

describe('keys: flag > every variable > every stored key', () => {
  it.each([
    ['freepik', {}, { FREEPIK_API_KEY: 'env' }, {}, 'env'],
    ['freepik-precision', {}, { FREEPIK_API_KEY: 'env' }, {}, 'env'],
    ['freepik-precision-v2', {}, {}, { 'freepik.apiKey': 'stored' }, 'stored'],
    ['freepik-precision', { apiKey: 'flag' }, { FREEPIK_API_KEY: 'env' }, {}, 'flag'],
    ['magnific', {}, { MAGNIFIC_API_KEY: 'm', FREEPIK_API_KEY: 'f' }, {}, 'm'],
    ['magnific', {}, { FREEPIK_API_KEY: 'f' }, { 'magnific.apiKey': 'stored' }, 'f'],
    ['magnific-precision', {}, {}, { 'magnific.apiKey': 'm', 'freepik.apiKey': 'f' }, 'm'],
    ['magnific-precision-v2', {}, {}, { 'freepik.apiKey': 'f' }, 'f'],
    ['comfy', {}, { COMFY_API_KEY: 'c', FREEPIK_API_KEY: 'f' }, {}, 'c'],
    ['comfy-precision-v2', {}, {}, { 'comfy.apiKey': 'c' }, 'c'],
    ['novita', {}, { NOVITA_API_KEY: ' n ' }, {}, 'n'],
  ])('-p %s %o env %o config %o → %s', (provider, raw, env, stored, key) => {
    expect(resolve({ provider, ...raw }, env, stored).remote?.apiKey).toBe(key);
  });

  it.each([
    ['comfy', { FREEPIK_API_KEY: 'f' }, /COMFY_API_KEY.*upscale config set comfy\.apiKey/],
    ['novita', {}, /NOVITA_API_KEY.*upscale config set novita\.apiKey/],
    ['magnific', {}, /MAGNIFIC_API_KEY \(or FREEPIK_API_KEY\).*upscale config set magnific\.apiKey/],
    ['freepik-precision', {}, /FREEPIK_API_KEY.*upscale config set freepik\.apiKey/],
  ])('-p %s without a key names every way to give one', (provider, env, hint) => {
    try {
      resolve({ provider }, env);
      expect.unreachable();
    } catch (error) {
      expect((error as { code: string }).code).toBe('MISSING_KEY');
      expect((error as { hint: string }).hint).toMatch(hint);
    }
  });
});

describe('API roots: the three Freepik products share one', () => {
  const key = { apiKey: 'k' };
  it.each([
    ['freepik', {}, {}, 'https://api.freepik.com'],
    ['freepik-precision', { UPSCALE_FREEPIK_BASE_URL: 'http://127.0.0.1:9/' }, {}, 'http://127.0.0.1:9'],
    [
      'freepik-precision-v2',
      {},
      { 'freepik.baseUrl': 'https://api.magnific.com' },
      'https://api.magnific.com',
    ],
    ['magnific', { UPSCALE_FREEPIK_BASE_URL: 'http://127.0.0.1:9' }, {}, 'https://api.magnific.com'],
    ['magnific-precision', { UPSCALE_MAGNIFIC_BASE_URL: 'http://127.0.0.1:8' }, {}, 'http://127.0.0.1:8'],
    ['comfy', {}, {}, 'https://api.comfy.org'],
    ['comfy-precision-v2', { UPSCALE_COMFY_BASE_URL: 'http://127.0.0.1:7' }, {}, 'http://127.0.0.1:7'],
    ['novita', {}, { 'novita.baseUrl': 'http://127.0.0.1:6' }, 'http://127.0.0.1:6'],
  ])('-p %s env %o config %o → %s', (provider, env, stored, url) => {
    expect(resolve({ provider, ...key }, env, stored).remote?.baseUrl).toBe(url);
  });
});

describe('key headers', () => {
  const key = { apiKey: 'k' };
  it.each([
    ['freepik', {}, {}, 'x-freepik-api-key'],
    ['freepik-precision', {}, { 'freepik.keyHeader': 'x-magnific-api-key' }, 'x-magnific-api-key'],
    ['magnific-precision-v2', {}, {}, 'x-magnific-api-key'],
    // Comfy: by the key's shape — an API key in X-API-KEY, a JWT as Bearer — unless forced.
    ['comfy', {}, {}, 'x-api-key'],
    ['comfy', { apiKey: 'comfyui-0123abcd' }, {}, 'x-api-key'],
    ['comfy', { apiKey: 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1In0.c2ln' }, {}, 'bearer'],
    [
      'comfy',
      { apiKey: 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1In0.c2ln', keyHeader: 'x-api-key' },
      {},
      'x-api-key',
    ],
    ['comfy', { keyHeader: 'bearer' }, {}, 'bearer'],
    ['comfy', { keyHeader: 'X-API-KEY' }, {}, 'x-api-key'],
    ['comfy', {}, { 'comfy.keyHeader': 'x-api-key' }, 'x-api-key'],
    ['novita', {}, {}, 'bearer'],
  ])('-p %s %o config %o → %s', (provider, raw, stored, style) => {
    const resolved = resolve({ provider, ...key, ...raw }, {}, stored);
    expect(resolved.remote?.authStyle).toBe(style);
    expect(resolved.remote?.authForced).toBe('keyHeader' in raw || Object.keys(stored).length > 0);
  });

  it.each([
    ['novita', 'x-api-key'],
    ['comfy', 'x-freepik-api-key'],
    ['freepik', 'bearer'],
  ])('-p %s refuses --key-header %s', (provider, keyHeader) => {
    expect(() => resolve({ provider, keyHeader, ...key })).toThrow(/--key-header .* is not accepted by/);
  });
});

describe('flags that belong to other providers exit 2 naming their owners', () => {
  it.each([
    [
      'novita',
      { engine: 'sparkle' },
      /--engine does not apply to novita; it belongs to freepik, comfy, magnific/,
    ],
    [
      'freepik',
      { flavor: 'photo' },
      /--flavor does not apply to freepik; it belongs to freepik-precision-v2/,
    ],
    ['comfy', { resolution: '4k' }, /--resolution does not apply to comfy; it belongs to novita/],
    [
      'freepik-precision',
      { scale: '2' },
      /--scale does not apply to freepik-precision: its API has no scale/,
    ],
    ['freepik-precision-v2', { optimizedFor: 'standard' }, /--optimized-for does not apply/],
  ])('-p %s %o', (provider, flags, message) => {
    expect(() => resolve({ provider, apiKey: 'k', ...flags })).toThrow(message);
  });
});

describe('output options: --format, --quality, --strip-metadata, --background, --fit, --width, --height, --max-cost', () => {
  const key = { FREEPIK_API_KEY: 'k', NOVITA_API_KEY: 'n' };
  it.each([
    [{}, {}],
    [{ format: 'KEEP' }, { format: 'keep' }],
    [{ format: 'jpg' }, { format: 'jpeg' }],
    [
      { format: 'tif', quality: '80' },
      { format: 'tiff', quality: 80 },
    ],
    [
      { stripMetadata: true, background: '#ABC' },
      { stripMetadata: true, background: '#abc' },
    ],
    [
      { fit: true, width: '1920' },
      { fit: true, width: 1920 },
    ],
    [{ height: '1080' }, { height: 1080 }],
  ])('%o → %o', (raw, output) => {
    expect(resolve(raw, key).output).toEqual(output);
  });

  it.each([
    [{ format: 'gif' }, /--format "gif" is not an output format/],
    [{ format: 'bmp' }, /--format "bmp" is not an output format/],
    [{ quality: '0' }, /--quality "0" must be a whole number from 1 to 100/],
    [{ quality: '85.5' }, /--quality "85.5" must be a whole number/],
    [{ background: 'purple-ish' }, /--background "purple-ish" is not a colour/],
    [{ width: '-5' }, /--width "-5" must be a whole number/],
    [{ width: '800', scale: '4x' }, /--width\/--height pick the scale themselves/],
    [{ width: '800', provider: 'novita' }, /novita has none/],
    [{ maxCost: 'lots' }, /--max-cost "lots" must be an amount/],
  ])('refuses %o', (raw, message) => {
    expect(() => resolve(raw, key)).toThrow(message);
  });

  it('reads --max-cost with or without a currency sign', () => {
    expect(resolve({ maxCost: '2.5' }, key).maxCost).toBe(2.5);
    expect(resolve({ maxCost: '€3' }, key).maxCost).toBe(3);
    expect(resolve({}, key).maxCost).toBeUndefined();
  });
});

describe('the request budget: --rate-limit > UPSCALE_RATE_LIMIT > <section>.rateLimit > the provider default', () => {
  const key = { FREEPIK_API_KEY: 'k', NOVITA_API_KEY: 'n', COMFY_API_KEY: 'c' };
  it.each([
    ['freepik', {}, {}, {}, { limit: 50, windowMs: 60_000 }, false],
    ['comfy', {}, {}, {}, { limit: 50, windowMs: 60_000 }, false],
    ['novita', {}, {}, {}, { limit: 60, windowMs: 60_000 }, false],
    ['freepik', {}, {}, { 'freepik.rateLimit': '30/min' }, { limit: 30, windowMs: 60_000 }, true],
    ['magnific', {}, {}, { 'freepik.rateLimit': '30/min' }, { limit: 50, windowMs: 60_000 }, false],
    [
      'freepik',
      {},
      { UPSCALE_RATE_LIMIT: '20/3s' },
      { 'freepik.rateLimit': '30/min' },
      { limit: 20, windowMs: 3000 },
      true,
    ],
    [
      'freepik',
      { rateLimit: '10/s' },
      { UPSCALE_RATE_LIMIT: '20/3s' },
      {},
      { limit: 10, windowMs: 1000 },
      true,
    ],
    ['freepik', { rateLimit: 'off' }, {}, {}, undefined, true],
  ])('-p %s %o env %o config %o → %o', (provider, raw, env, stored, rate, explicit) => {
    const resolved = resolve({ provider, ...raw }, { ...key, ...env }, stored);
    expect(resolved.remote?.rateLimit).toEqual(rate);
    expect(resolved.remote?.rateLimitExplicit).toBe(explicit);
  });

  it.each([
    [{ rateLimit: 'fast' }, {}, {}, /--rate-limit "fast" is not a rate/],
    [{}, { UPSCALE_RATE_LIMIT: '0/min' }, {}, /UPSCALE_RATE_LIMIT "0\/min" is not a rate/],
    [{}, {}, { 'freepik.rateLimit': '5' }, /config freepik\.rateLimit "5" is not a rate/],
  ])('refuses %o %o %o', (raw, env, stored, message) => {
    expect(() => resolve({ provider: 'freepik', ...raw }, { ...key, ...env }, stored)).toThrow(message);
  });
});

describe('the library checks typed values once, before anything is sent', () => {
  const key = { apiKey: 'k' };
  it.each([
    [{ concurrency: Number.NaN }, /^concurrency NaN must be a whole number from 1 to 64$/],
    [{ concurrency: 0 }, /^concurrency 0 must be a whole number from 1 to 64$/],
    [{ quality: 101 }, /^quality 101 must be a whole number from 1 to 100$/],
    [{ width: 12.5 }, /^width 12.5 must be a whole number/],
    [{ timeoutMs: -1 }, /^timeoutMs -1 must be a positive number of milliseconds$/],
    [{ pollIntervalMs: Number.POSITIVE_INFINITY }, /^pollIntervalMs Infinity must be a positive number/],
    [{ maxCost: -2 }, /^maxCost -2 must be an amount/],
    [{ params: { scale: 3 } }, /^--scale "3" must be one of 2x\|4x\|8x\|16x \(freepik\)$/],
  ] satisfies [OptionValues, RegExp][])('refuses %o', (values, message) => {
    const run = () => normalizeOptions({ ...key, ...values }, {}, config());
    expect(run).toThrow(UpscaleError);
    expect(run).toThrow(message);
  });

  it('takes typed values as they are', () => {
    const resolved = normalizeOptions(
      { ...key, concurrency: 8, timeoutMs: 90_000, quality: 80, params: { scale: 4 } },
      {},
      config(),
    );
    expect(resolved).toMatchObject({ concurrency: 8, timeoutMs: 90_000, output: { quality: 80 } });
    expect(resolved.params).toEqual({ scale: 4 });
  });

  it('reads flags into typed values, naming the flag when one is bad', () => {
    expect(optionValuesOf({ timeout: '90', concurrency: '8', maxCost: '€3' })).toEqual({
      timeoutMs: 90_000,
      concurrency: 8,
      maxCost: 3,
      maxCostCurrency: 'EUR',
    });
    expect(() => optionValuesOf({ concurrency: 'many' })).toThrow(
      '--concurrency "many" must be a whole number from 1 to 64',
    );
    expect(() => optionValuesOf({ timeout: 'soon' })).toThrow(
      '--timeout "soon" must be a positive number of seconds',
    );
  });
});

describe('how the provider is reached follows its features', () => {
  it('an in-process engine has no API root, key, header or budget, and refuses their flags', () => {
    const resolved = resolve({ provider: 'local' }, { FREEPIK_API_KEY: 'f', UPSCALE_RATE_LIMIT: '5/s' });
    expect(resolved.remote).toBeUndefined();
    expect(resolved.provider.engine?.defaultConcurrency).toBe(1);
    for (const flag of [{ apiKey: 'k' }, { baseUrl: 'http://127.0.0.1:9' }, { keyHeader: 'bearer' }])
      expect(() => normalizeOptions({ provider: 'local', ...flag }, {}, config())).toThrow(
        /does not apply to local/,
      );
  });

  it('an HTTP API has them all, with the provider itself', () => {
    const resolved = resolve({ provider: 'novita' }, { NOVITA_API_KEY: 'n' });
    expect(resolved.remote).toMatchObject({
      apiKey: 'n',
      baseUrl: 'https://api.novita.ai',
      authStyle: 'bearer',
      authForced: false,
      rateLimit: { limit: 60, windowMs: 60_000 },
      rateLimitExplicit: false,
    });
    expect(resolved.remote?.provider).toBe(resolved.provider);
  });

  it('under --dry-run an API may have no key: nothing is sent', () => {
    expect(resolve({ provider: 'novita', dryRun: true }).remote?.apiKey).toBeUndefined();
    expect(() => resolve({ provider: 'novita' })).toThrow(/no API key for novita/);
  });
});
