/** The provider registry: every id the CLI accepts maps to one pure adapter. */
import { freepikCreative } from './freepik-creative.js';
import type { Provider } from './types.js';

export const PROVIDER_IDS = ['freepik'] as const;
export type ProviderId = (typeof PROVIDER_IDS)[number];

export const providers = {
  freepik: freepikCreative,
} satisfies Record<ProviderId, Provider>;

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

export type { Provider } from './types.js';
