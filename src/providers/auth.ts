/** How a key travels, per AuthStyle; every provider picks from the same styles. */
import type { AuthStyle } from './types.js';

export function authHeaders(apiKey: string, style: AuthStyle): Record<string, string> {
  switch (style) {
    case 'x-freepik-api-key':
      return { 'x-freepik-api-key': apiKey };
    case 'x-magnific-api-key':
      return { 'x-magnific-api-key': apiKey };
    case 'bearer':
      return { authorization: `Bearer ${apiKey}` };
    case 'x-api-key':
      return { 'x-api-key': apiKey };
  }
}
