/** The provider registry: every id the CLI accepts maps to one pure adapter. */
import { comfyCreative, comfyPrecisionV2 } from './comfy.js';
import { freepikCreative } from './freepik-creative.js';
import { freepikPrecision } from './freepik-precision.js';
import { freepikPrecisionV2 } from './freepik-precision-v2.js';
import { local } from './local.js';
import { magnificCreative, magnificPrecision, magnificPrecisionV2 } from './magnific.js';
import { novita } from './novita.js';
import type { Provider } from './types.js';

/**
 * Every provider by its id, in the order `upscale providers` and `--help` list them; the first is
 * the default. A new provider is its file and one line here.
 */
export const providers = {
  freepik: freepikCreative,
  'freepik-precision': freepikPrecision,
  'freepik-precision-v2': freepikPrecisionV2,
  comfy: comfyCreative,
  'comfy-precision-v2': comfyPrecisionV2,
  novita,
  magnific: magnificCreative,
  'magnific-precision': magnificPrecision,
  'magnific-precision-v2': magnificPrecisionV2,
  local,
} satisfies Record<string, Provider>;

export type ProviderId = keyof typeof providers;
/** The ids, in the registry's order. */
export const PROVIDER_IDS = Object.keys(providers) as readonly ProviderId[];

export function isProviderId(id: string): id is ProviderId {
  return (PROVIDER_IDS as readonly string[]).includes(id);
}

export function getProvider(id: ProviderId): Provider {
  return providers[id];
}

/** Which providers take a flag: used to explain why a flag does not apply. */
export function providersWithParam(key: string): ProviderId[] {
  return PROVIDER_IDS.filter((id) => providers[id].params.some((p) => p.key === key));
}

/** The command-line spelling of a flag key, e.g. `--optimized-for` for `optimizedFor`. */
export function flagOf(key: string): string {
  const spec = PROVIDER_IDS.flatMap((id) => providers[id].params).find((p) => p.key === key);
  return spec ? spec.flag.split(' ')[0]! : `--${key}`;
}

export type { EngineProvider, HttpProvider, Provider } from './types.js';
