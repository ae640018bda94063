/** How a split deals out the key's limit: whole requests, adding up to the limit, fairest to the slowest shard. */
import { describe, expect, it } from 'vitest';
import { KeyShare, seatsOf } from '../../src/http/key-share.js';

const sum = (v: number[]) => v.reduce((a, b) => a + b, 0);

describe('seatsOf', () => {
  it('gives the six shards of the fleet benchmark all 20 requests, the fewest inputs per request at most 3.5', () => {
    // The hash split of the benchmark's 60 inputs. Each part rounded down gave 2,3,2,2,3,5 = 17:
    // the 8-input shard had 4 inputs per request and finished last.
    const sizes = [7, 11, 8, 7, 11, 16];
    const seats = seatsOf(sizes, 20)!;
    expect(sum(seats)).toBe(20);
    expect(Math.max(...sizes.map((n, i) => n / seats[i]!))).toBeLessThanOrEqual(3.5);
  });

  it('adds up to the limit and keeps every shard with inputs at one or more, over many splits', () => {
    const bad: string[] = [];
    for (let seed = 1; seed <= 300; seed++) {
      const shards = 2 + (seed % 7);
      const sizes = Array.from({ length: shards }, (_, i) => (seed * (i + 3) * 7919) % 23);
      const limit = shards + ((seed * 13) % 40);
      const seats = seatsOf(sizes, limit);
      const withInputs = sizes.filter((n) => n > 0).length;
      if (!seats) {
        if (withInputs <= limit) bad.push(`${sizes} of ${limit}: none`);
        continue;
      }
      const ok =
        (withInputs === 0 || sum(seats) === Math.floor(limit)) &&
        seats.every((s, i) => (sizes[i]! > 0 ? s >= 1 : s === 0)) &&
        // No seat could move to a shard that would then have fewer inputs per request than the worst.
        sizes.every(
          (n, i) => n === 0 || n / seats[i]! <= Math.max(...sizes.map((m, j) => (m > 0 ? m / seats[j]! : 0))),
        );
      if (!ok) bad.push(`${sizes} of ${limit}: ${seats}`);
    }
    expect(bad).toEqual([]);
  });

  it('minimises the most inputs per request: no single move of a request does better', () => {
    const sizes = [5, 9, 2, 13];
    const seats = seatsOf(sizes, 12)!;
    const worst = (s: number[]) => Math.max(...sizes.map((n, i) => n / s[i]!));
    for (let from = 0; from < 4; from++)
      for (let to = 0; to < 4; to++) {
        if (from === to || seats[from]! <= 1) continue;
        const moved = [...seats];
        moved[from]!--;
        moved[to]!++;
        expect(worst(moved)).toBeGreaterThanOrEqual(worst(seats));
      }
  });

  it('is undefined when the limit is below the shards with inputs (they then take fractions)', () => {
    expect(seatsOf([3, 4, 5], 2)).toBeUndefined();
    expect(seatsOf([3, 0, 5], 2)).toEqual([1, 0, 1]);
  });
});

describe('KeyShare with a split', () => {
  it('starts each shard at its whole part, so the parts add up to the limit', () => {
    const sizes = [7, 11, 8, 7, 11, 16];
    const parts = sizes.map((_, index) => {
      const share = new KeyShare();
      share.expectSplit({ sizes, index }, 0);
      return share.current({ limit: 20, windowMs: 3000 });
    });
    expect(sum(parts)).toBe(20);
    expect(parts.every((p) => Number.isInteger(p))).toBe(true);
  });

  it('takes fractions when the limit is below the shard count', () => {
    const share = new KeyShare();
    share.expectSplit({ sizes: [1, 1, 1, 1], index: 0 }, 0);
    expect(share.current({ limit: 3, windowMs: 3000 })).toBeCloseTo(0.75);
  });

  it('does not grow on one answer after the opening burst slid out of the window: room is room all window long', () => {
    const rate = { limit: 20, windowMs: 3000 };
    const share = new KeyShare();
    share.expectSplit({ sizes: [7, 11, 8, 7, 11, 16], index: 1 }, 0);
    const seats = share.current(rate);
    // The opening: every shard sent its part at once, and the answers show nothing left.
    share.observe(rate, 0, seats, 200);
    // A window later the others have only begun to spread their parts: one answer shows room.
    share.observe(rate, 11, 1, 4600);
    expect(share.current(rate)).toBe(seats);
    // The same room in answers all window long is room: the part grows.
    for (let t = 5000; t <= 8000; t += 500) share.observe(rate, 11, 1, t);
    expect(share.current(rate)).toBeGreaterThan(seats);
  });
});

describe('KeyShare when a shard of the split is done', () => {
  it('deals the parts out again among the shards still working: they add up to the limit', () => {
    const rate = { limit: 20, windowMs: 3000 };
    const sizes = [7, 11, 8, 7, 11, 16];
    const shares = sizes.map((_, index) => {
      const share = new KeyShare();
      share.expectSplit({ sizes, index }, 0);
      return share;
    });
    const before = shares.map((s) => s.current(rate));
    for (const share of shares) {
      share.peerLeft(0);
      share.peerLeft(3);
    }
    const after = shares.map((s) => s.current(rate));
    expect(after[1]! + after[2]! + after[4]! + after[5]!).toBe(20);
    for (const i of [1, 2, 4, 5]) expect(after[i]).toBeGreaterThanOrEqual(before[i]!);
    expect(after[5]).toBeGreaterThan(before[5]!);
  });
});
