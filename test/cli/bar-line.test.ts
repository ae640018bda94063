/** Issue 24, Must 4: the bar's line fits the terminal, counts its wait down, and gives its ETA a unit. */
import { describe, expect, it } from 'vitest';
import { type BarState, durationText, fitBarLine } from '../../src/cli/reporters/bar.js';

const names = Array.from(
  { length: 12 },
  (_, i) => `photos/holiday-2024/IMG_${String(i).padStart(4, '0')}.jpg`,
);
const state = (over: Partial<BarState> = {}): BarState => ({
  done: 3,
  total: 40,
  failed: 0,
  elapsedMs: 30_000,
  inFlight: names,
  waitMs: 0,
  ...over,
});

describe('the bar line', () => {
  it.each([[40], [80], [100], [120], [200]])('fits %i columns, with or without a wait', (width) => {
    for (const s of [state(), state({ waitMs: 125_000, failed: 2 }), state({ inFlight: [] })])
      expect(fitBarLine(s, width).length).toBeLessThan(width);
  });

  it('the wait wins over the names of the inputs in flight', () => {
    const line = fitBarLine(state({ waitMs: 42_000 }), 80);
    expect(line).toContain('waiting for the request budget: 42s');
    expect(line).not.toContain('IMG_0000');
    // Wider: both, and how many more names there are.
    expect(fitBarLine(state({ waitMs: 42_000 }), 200)).toMatch(
      /42s \| photos\/holiday-2024\/IMG_0000\.jpg.* \+\d+$/,
    );
  });

  it('at 40 columns the wait keeps its time in fewer words', () => {
    expect(fitBarLine(state({ waitMs: 42_000 }), 50)).toMatch(/budget 42s/);
  });

  it('the wait counts down: its time left, not a clock time', () => {
    expect(fitBarLine(state({ waitMs: 61_000 }), 120)).toContain('waiting for the request budget: 1m01s');
    expect(fitBarLine(state({ waitMs: 1000 }), 120)).toContain('waiting for the request budget: 1s');
    expect(fitBarLine(state({ waitMs: 0 }), 120)).not.toContain('waiting');
  });

  it('the ETA has a unit, and shows only once an input finished', () => {
    expect(fitBarLine(state({ done: 0 }), 120)).not.toContain('ETA');
    expect(fitBarLine(state({ done: 10, elapsedMs: 20_000 }), 120)).toContain('ETA 1m00s');
    expect(fitBarLine(state({ done: 39, elapsedMs: 39_000 }), 120)).toContain('ETA 1s');
    expect(fitBarLine(state({ done: 40, total: 40 }), 120)).not.toContain('ETA');
    expect(durationText(65_000)).toBe('1m05s');
  });
});
