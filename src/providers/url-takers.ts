/** Which providers take an image URL: named when one that does not is given a URL. */
import { PROVIDER_IDS, providers } from './index.js';
import type { Provider } from './types.js';

/** The ids of the providers that take image URLs, those on `provider`'s key (its variable) first. */
export function urlTakersFor(provider: Provider): string[] {
  const keyOf = (p: Provider) => p.api?.keyEnvs[0];
  const takers = PROVIDER_IDS.filter((id) => providers[id].limits.inputs.url);
  const sameKey = takers.filter((id) => keyOf(providers[id]) === keyOf(provider));
  return [...sameKey, ...takers.filter((id) => !sameKey.includes(id))];
}
