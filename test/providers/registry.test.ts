import { describe, expect, it } from 'vitest';
import { flagOf, PROVIDER_IDS, providers, providersWithParam } from '../../src/providers/index.js';
import { hasEngine, hasHttpApi, type Provider } from '../../src/providers/types.js';

describe('the provider registry', () => {
  it.each(PROVIDER_IDS)('%s is registered under its own id', (id) => {
    expect(providers[id].id).toBe(id);
  });

  it('lists the five ids of the contract first, freepik (the default) first of all', () => {
    expect(PROVIDER_IDS.slice(0, 3)).toEqual(['freepik', 'freepik-precision', 'freepik-precision-v2']);
    expect(PROVIDER_IDS).toContain('comfy');
    expect(PROVIDER_IDS).toContain('novita');
  });

  it('spells a flag key the same way in every provider (commander registers it once)', () => {
    const seen = new Map<string, string>();
    for (const id of PROVIDER_IDS) {
      for (const spec of providers[id].params) {
        const flag = seen.get(spec.key);
        if (flag !== undefined) expect(spec.flag).toBe(flag);
        seen.set(spec.key, spec.flag);
      }
    }
    expect(flagOf('optimizedFor')).toBe('--optimized-for');
    expect(flagOf('smartGrain')).toBe('--smart-grain');
  });

  it('explains refusals only for flags some other provider takes', () => {
    for (const id of PROVIDER_IDS) {
      const provider: Provider = providers[id];
      for (const key of Object.keys(provider.refuses ?? {})) {
        expect(providersWithParam(key).length).toBeGreaterThan(0);
        expect(providersWithParam(key)).not.toContain(id);
      }
    }
  });

  it('shares one config section among products of one account', () => {
    const section = (id: (typeof PROVIDER_IDS)[number]) => {
      const provider: Provider = providers[id];
      return provider.api?.configSection;
    };
    expect(
      new Set([section('freepik'), section('freepik-precision'), section('freepik-precision-v2')]),
    ).toEqual(new Set(['freepik']));
    expect(section('comfy')).toBe(section('comfy-precision-v2'));
    expect(section('novita')).toBe('novita');
  });

  it.each(PROVIDER_IDS)('%s declares one way its tasks run: an HTTP API or an engine here', (id) => {
    const provider: Provider = providers[id];
    expect([provider.api !== undefined, provider.engine !== undefined].filter(Boolean)).toHaveLength(1);
    expect(hasHttpApi(provider)).toBe(provider.api !== undefined);
    expect(hasEngine(provider)).toBe(provider.engine !== undefined);
    // Whatever runs here takes files and nothing on the network; an API names its key variables.
    if (provider.engine) expect(provider.limits.inputs).toEqual({ file: true, url: false });
    else expect(provider.api?.keyEnvs.length).toBeGreaterThan(0);
  });
});
