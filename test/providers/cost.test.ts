/** Every provider estimates a task's price: the tiers of docs/providers.md for the Freepik family, unknown otherwise. */
import { describe, expect, it } from 'vitest';
import { PROVIDER_IDS, providers } from '../../src/providers/index.js';
import type { Provider } from '../../src/providers/types.js';
import { describeTotal, formatMoney, totalCost } from '../../src/run/cost-total.js';
import type { TaskResult } from '../../src/run/run-task.js';

const photo = { width: 1000, height: 1000 }; // 1 MP

describe('estimateCost on every provider', () => {
  it.each(PROVIDER_IDS)('%s has one', (id) => {
    const cost = providers[id].estimateCost(photo, {});
    expect(cost.basis).not.toBe('');
    if (cost.amount !== undefined) expect(cost.amount).toBeGreaterThanOrEqual(0);
  });

  it('local costs nothing: it runs on this machine', () => {
    const local: Provider = providers.local;
    expect(local.estimateCost(photo, {})).toMatchObject({ amount: 0 });
  });

  it.each([
    // Worked by hand from the tiers: per 2× step by the megapixels that step reads.
    ['freepik', { scale: 2 }, 0.143], // 1 MP → ≤1.3
    ['freepik', { scale: 4 }, 0.572], // 1 MP 0.143 + 4 MP 0.429
    ['freepik', {}, 0.143], // the provider's default 2x
    ['comfy', { scale: 8 }, 2.288], // 0.143 + 0.429 + 16 MP 1.716
    ['magnific', { scale: 16 }, 4.004], // + 64 MP 1.716
    ['freepik-precision-v2', { scale: 4 }, 0.572],
    ['comfy-precision-v2', { scale: 3 }, 0.572], // priced as the next power of two, 4x
    ['freepik-precision-v2', {}, 0.143], // 2 is sent when unset
    ['magnific-precision-v2', { scale: 2 }, 0.143],
  ])('%s %o at 1 MP: €%d', (id, params, euros) => {
    expect(providers[id as keyof typeof providers].estimateCost(photo, params)).toMatchObject({
      amount: euros,
      currency: 'EUR',
    });
  });

  it.each([
    ['freepik-precision', {}],
    ['magnific-precision', {}],
    ['novita', { resolution: '4k' }],
  ] as const)('%s %o: unknown, not zero', (id, params) => {
    const provider: Provider = providers[id];
    const cost = provider.estimateCost(photo, params);
    expect(cost.amount).toBeUndefined();
    expect(cost.basis).toMatch(/unknown/);
  });
});

describe('totals', () => {
  const planned = (amount: number | undefined): TaskResult => ({
    input: 'x',
    provider: 'freepik',
    status: 'planned',
    request: {},
    cost: { amount, currency: 'EUR', basis: '' },
  });
  it('adds known prices, counts unknown ones, ignores skipped and failed inputs', () => {
    const results: TaskResult[] = [
      planned(0.143),
      planned(0.429),
      planned(undefined),
      { input: 'y', provider: 'freepik', status: 'skipped', output: 'y@2x.png' },
    ];
    expect(totalCost(results)).toEqual({ amount: 0.572, currency: 'EUR', priced: 2, unknown: 1 });
    expect(describeTotal(totalCost(results))).toBe('€0.572 for 2 inputs + 1 of unknown price');
    expect(describeTotal(totalCost([planned(undefined)]))).toBe('unknown (1 input of unknown price)');
    expect(describeTotal(totalCost([]))).toBe('nothing to pay (no input would be sent)');
    expect(formatMoney(1.5, 'USD')).toBe('$1.500');
  });
});
