/** The estimated price of a run: the sum of its inputs' estimates, and how many had no known price. */
import type { TaskResult } from './run-task.js';

export interface CostTotal {
  /** Sum of the known estimates. */
  readonly amount: number;
  readonly currency: string;
  /** Inputs with a known price (skipped and refused inputs cost nothing and are not counted). */
  readonly priced: number;
  /** Inputs whose price is unknown: the total is then a lower bound. */
  readonly unknown: number;
}

export function totalCost(results: readonly TaskResult[]): CostTotal {
  let amount = 0;
  let priced = 0;
  let unknown = 0;
  let currency = '';
  for (const r of results) {
    if (r.status !== 'planned' || !r.cost) continue;
    currency ||= r.cost.currency;
    if (r.cost.amount === undefined) unknown++;
    else {
      amount += r.cost.amount;
      priced++;
    }
  }
  return { amount: Math.round(amount * 1000) / 1000, currency, priced, unknown };
}

const SYMBOLS: Readonly<Record<string, string>> = { EUR: '€', USD: '$' };

/** `€0.429`, `$1.200`, `0.500 GBP`; three decimals, as the tiers are priced. */
export function formatMoney(amount: number, currency: string): string {
  const symbol = SYMBOLS[currency];
  return symbol ? `${symbol}${amount.toFixed(3)}` : `${amount.toFixed(3)} ${currency}`.trim();
}

/** `€0.858 for 3 inputs`, `€0.286 for 1 input + 2 of unknown price`, `unknown (2 inputs)`. */
export function describeTotal(total: CostTotal): string {
  const n = (k: number) => `${k} input${k === 1 ? '' : 's'}`;
  if (total.priced === 0 && total.unknown === 0) return 'nothing to pay (no input would be sent)';
  if (total.priced === 0) return `unknown (${n(total.unknown)} of unknown price)`;
  const known = `${formatMoney(total.amount, total.currency)} for ${n(total.priced)}`;
  return total.unknown > 0 ? `${known} + ${total.unknown} of unknown price` : known;
}
