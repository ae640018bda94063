/** Cost estimates shared by provider adapters. */
import type { CostEstimate } from './types.js';

/** An estimate for a price nobody published: shown as unknown, never as zero. */
export function unknownCost(currency: string, why: string): CostEstimate {
  return { amount: undefined, currency, basis: why };
}
