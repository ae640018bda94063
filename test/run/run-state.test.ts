/** What a run shares and learns: its state, and the kind of a task as its provider says it. */
import { describe, expect, it } from 'vitest';
import { providers } from '../../src/providers/index.js';
import type { Provider } from '../../src/providers/types.js';
import { kindOf } from '../../src/run/duration-model.js';
import { FirstSubmit } from '../../src/run/first-submit.js';
import { DurationEstimate } from '../../src/run/poll.js';
import { newRunState } from '../../src/run/task-types.js';

describe('kindOf: the provider says the factor its parameters ask for', () => {
  it.each([
    ['freepik', { scale: 4 }, 1, 'freepik|4|0'],
    ['freepik', {}, 1, 'freepik|2|0'],
    ['freepik-precision-v2', { scale: 8 }, 4, 'freepik-precision-v2|8|2'],
    ['freepik-precision', {}, undefined, 'freepik-precision|precision|?'],
    ['novita', { resolution: '8k' }, 0.3, 'novita|8k|-2'],
  ] as const)('%s %o at %s MP → %s', (id, params, megapixels, kind) => {
    expect(kindOf(providers[id] as Provider, params, megapixels)).toBe(kind);
  });

  it('knows no parameter name: a provider whose factor is a `zoom` is read through its scaleOf', () => {
    const zoomer = {
      id: 'zoomer',
      scaleOf: (p: { zoom?: number }) => p.zoom,
      outputTag: () => 'z',
    };
    expect(kindOf(zoomer, { zoom: 3 }, 2)).toBe('zoomer|3|1');
    expect(kindOf(zoomer, {}, 2)).toBe('zoomer|z|1');
    expect(kindOf(zoomer, { scale: 9, resolution: '4k' } as never, 2)).toBe('zoomer|z|1');
  });
});

describe('newRunState: what a run learns and changes, apart from what is fixed', () => {
  it('starts with nothing learnt and nothing in flight', () => {
    const state = newRunState();
    expect(state.durations).toBeInstanceOf(DurationEstimate);
    expect(state.durations.nextProbe(0)).toBeUndefined();
    expect(state.inflight.size).toBe(0);
    expect(state.submits).toBeUndefined();
    expect(state.model).toBeUndefined();
  });

  it('gates the submits of a paying run: the first alone, none after a refusal (set once)', () => {
    const state = newRunState({ gated: true });
    expect(state.submits?.first).toBeInstanceOf(FirstSubmit);
    expect(state.submits?.stoppedBy).toBeUndefined();
    expect(newRunState({ gated: true }).submits).not.toBe(state.submits);
  });

  it('is one per run: contexts made from one share what it learns', () => {
    const state = newRunState();
    const a = { state };
    const b = { ...a };
    b.state.durations.observe(1000, 2000);
    expect(a.state.durations.nextProbe(0)).toBe(1500);
    expect(newRunState().durations.nextProbe(0)).toBeUndefined();
  });
});

describe('src/run/ reads no provider flag by its name', () => {
  it('no `params.<key>` of any provider flag in the run core: the provider says what its flags mean', async () => {
    const { readdir, readFile } = await import('node:fs/promises');
    const { join } = await import('node:path');
    const keys = [...new Set(Object.values(providers).flatMap((p) => p.params.map((s) => s.key)))];
    expect(keys).toEqual(expect.arrayContaining(['scale', 'resolution', 'model']));
    const dir = join(import.meta.dirname, '../../src/run');
    const files = (await readdir(dir, { recursive: true })).filter((f) => f.endsWith('.ts'));
    const found: string[] = [];
    for (const file of files) {
      const text = await readFile(join(dir, file), 'utf8');
      for (const key of keys)
        if (new RegExp(`params\\??\\.${key}\\b|params\\[['"]${key}['"]\\]`).test(text))
          found.push(`${file}: ${key}`);
    }
    expect(found).toEqual([]);
  });
});
