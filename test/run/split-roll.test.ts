/** Shards of one split on a shared folder telling each other they are done (FolderSplitRoll). */
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FolderSplitRoll } from '../../src/run/split-roll.js';
import { localFolder } from '../../src/store/local-folder.js';

let dir: string;
let base: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'upscale-split-roll-'));
  base = join(dir, 'abc123');
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const sizes = [4, 0, 3, 5];
const open = (index: number) => FolderSplitRoll.open(localFolder, base, { index, count: 4 }, sizes);

describe('FolderSplitRoll', () => {
  it('tells each shard once which others are done, never itself, and never a shard with no inputs', async () => {
    const one = await open(1);
    const three = await open(3);
    const four = await open(4);
    expect(await one.left()).toEqual([]);
    await three.close();
    expect(await one.left()).toEqual([3]);
    expect(await one.left()).toEqual([]);
    expect(await four.left()).toEqual([3]);
    await four.close();
    expect(await one.left()).toEqual([4]);
  });

  it('takes what was there at start-up for an earlier run’s word, until it changes', async () => {
    await writeFile(`${base}.split-4-3.done`, 'an earlier run');
    const one = await open(1);
    expect(await one.left()).toEqual([]);
    const three = await open(3);
    await three.close();
    expect(await one.left()).toEqual([3]);
  });

  it('the last shard to finish clears the split’s files, and old ones that never changed go', async () => {
    await writeFile(`${base}.split-4-4.done`, 'an earlier run');
    const one = await open(1);
    const three = await open(3);
    const four = await open(4);
    await three.close();
    expect((await readdir(dir)).sort()).toEqual(['abc123.split-4-3.done']);
    await one.close();
    expect((await readdir(dir)).sort()).toEqual(['abc123.split-4-1.done', 'abc123.split-4-3.done']);
    await four.close();
    expect(await readdir(dir)).toEqual([]);
  });
});

it('reads a few peers per look, in turn, so a wide split hears of every one within a few looks', async () => {
  const wide = Array.from({ length: 30 }, () => 2);
  const first = await FolderSplitRoll.open(localFolder, base, { index: 1, count: 30 }, wide);
  for (let i = 2; i <= 30; i++) await writeFile(`${base}.split-30-${i}.done`, `shard ${i}`);
  const heard: number[] = [];
  for (let look = 1; look <= 4; look++) {
    const now = await first.left();
    expect(now.length).toBeLessThanOrEqual(8);
    heard.push(...now);
  }
  expect(heard.sort((a, b) => a - b)).toEqual(Array.from({ length: 29 }, (_, i) => i + 2));
});

it('leaves nothing behind when the last shards finish at the same time', async () => {
  for (let round = 0; round < 20; round++) {
    const rolls = await Promise.all([1, 3, 4].map((i) => open(i)));
    await Promise.all(rolls.map((r) => r.close()));
    expect(await readdir(dir)).toEqual([]);
  }
});

it('the last of a wide split (more peers than one look reads) still clears every file', async () => {
  const wide = Array.from({ length: 12 }, () => 2);
  const rolls = await Promise.all(
    wide.map((_, i) => FolderSplitRoll.open(localFolder, base, { index: i + 1, count: 12 }, wide)),
  );
  for (const roll of rolls) await roll.close();
  expect(await readdir(dir)).toEqual([]);
});
