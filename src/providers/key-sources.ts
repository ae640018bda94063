/** Where a provider's key may come from, for the lookup and for hints that name every way. */
import type { HttpProvider } from './types.js';

/** Config keys that may hold the provider's API key, in the order they are read. */
export function keyConfigKeys(provider: HttpProvider): string[] {
  const { configSection, keyFallbackSections = [] } = provider.api;
  return [configSection, ...keyFallbackSections].map((section) => `${section}.apiKey`);
}

/** `FREEPIK_API_KEY`, or `MAGNIFIC_API_KEY (or FREEPIK_API_KEY)`. */
export function keyEnvText(provider: HttpProvider): string {
  const [first, ...others] = provider.api.keyEnvs;
  return others.length > 0 ? `${first} (or ${others.join(', ')})` : first;
}

/** `upscale config set <section>.apiKey <key>`. */
export function keyConfigCommand(provider: HttpProvider): string {
  return `upscale config set ${provider.api.configSection}.apiKey <key>`;
}
