/**
 * The hosts that serve the Freepik upscaler API. Whether Freepik's old host and header keep
 * working now that its docs redirect to Magnific is unconfirmed (docs/providers.md), so both are
 * offered, and each one's base URL and key header stay configurable.
 */
import type { FreepikHost } from './freepik-family.js';

/** Seen live on Magnific/Freepik: 50 requests a minute per key, status polls included (docs/providers.md). */
export const MAGNIFIC_RATE_LIMIT = { limit: 50, windowMs: 60_000 } as const;

/** `api.freepik.com`: creative, precision and precision v2 share the key, the config section and the root. */
export const FREEPIK_HOST: FreepikHost = {
  name: 'Freepik',
  api: {
    defaultBaseUrl: 'https://api.freepik.com',
    baseUrlEnv: 'UPSCALE_FREEPIK_BASE_URL',
    keyEnvs: ['FREEPIK_API_KEY'],
    configSection: 'freepik',
    authStyles: ['x-freepik-api-key', 'x-magnific-api-key'],
    defaultRateLimit: MAGNIFIC_RATE_LIMIT,
  },
  pathPrefix: '',
  hasList: true,
  takesUrls: false,
};

/**
 * `api.magnific.com` with `x-magnific-api-key`. A Freepik key is the same account, so it is
 * used when no Magnific key is set.
 */
export const MAGNIFIC_HOST: FreepikHost = {
  name: 'Magnific',
  api: {
    defaultBaseUrl: 'https://api.magnific.com',
    baseUrlEnv: 'UPSCALE_MAGNIFIC_BASE_URL',
    keyEnvs: ['MAGNIFIC_API_KEY', 'FREEPIK_API_KEY'],
    configSection: 'magnific',
    keyFallbackSections: ['freepik'],
    authStyles: ['x-magnific-api-key', 'x-freepik-api-key'],
    defaultRateLimit: MAGNIFIC_RATE_LIMIT,
  },
  pathPrefix: '',
  hasList: true,
  takesUrls: false,
};

/**
 * `api.comfy.org/proxy/freepik`: the spec says `Authorization: Bearer`; Comfy's own client sends
 * its `comfyui-…` keys as `X-API-KEY`, hence `--key-header x-api-key`.
 */
export const COMFY_HOST: FreepikHost = {
  name: 'Comfy API proxy of Magnific',
  api: {
    defaultBaseUrl: 'https://api.comfy.org',
    baseUrlEnv: 'UPSCALE_COMFY_BASE_URL',
    keyEnvs: ['COMFY_API_KEY'],
    configSection: 'comfy',
    authStyles: ['bearer', 'x-api-key'],
    // Unconfirmed: the proxy forwards to Magnific, whose per-key limit is assumed to carry through.
    defaultRateLimit: MAGNIFIC_RATE_LIMIT,
  },
  pathPrefix: '/proxy/freepik',
  hasList: false,
  takesUrls: true,
  // What ComfyUI's Magnific nodes check before every request.
  inputLimits: { minInputSide: 160, maxAspectRatio: 3 },
};
