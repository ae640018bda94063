import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { globBase, isHiddenOrSystem, isImageName } from '../../src/run/inputs.js';
import {
  checkTemplate,
  FolderListings,
  findExistingOutput,
  inputStem,
  outputTarget,
} from '../../src/run/naming.js';
import { planItems, shardSizes } from '../../src/run/plan.js';
import { inShard, parseShard } from '../../src/run/shard.js';

const naming = { tag: '4x', provider: 'freepik' };

describe('output names', () => {
  it.each([
    ['photo.jpg', 'photo'],
    ['dir/archive.tar.png', 'archive.tar'],
    ['https://cdn.example/a/b/cat%20pic.webp?x=1', 'cat pic'],
    ['https://cdn.example/../../etc/passwd', 'passwd'],
    ['https://cdn.example/', 'image'],
    ['.hidden.png', 'hidden'],
  ])('stem of %s is %s', (input, stem) => {
    expect(inputStem(input)).toBe(stem);
  });

  it.each([
    ['photos/a.jpg', {}, undefined, { dir: 'photos', stem: 'a@4x' }],
    ['photos/2024/a.jpg', { output: 'out' }, 'photos', { dir: 'out/2024', stem: 'a@4x' }],
    [
      'a.jpg',
      { output: 'big.png', outputIsFile: true },
      undefined,
      { dir: '.', stem: 'big', fixed: { path: 'big.png', format: 'png' } },
    ],
    [
      'a.jpg',
      { template: '{provider}-{name}-{scale}-{inext}' },
      undefined,
      { dir: '.', stem: 'freepik-a-4x-jpg' },
    ],
    ['https://x/y/z.png', {}, undefined, { dir: '.', stem: 'z@4x' }],
    ['https://x/y/z.png', { output: 'o' }, 'ignored', { dir: 'o', stem: 'z@4x' }],
  ])('%s with %o (root %s) → %o', (input, opts, root, target) => {
    expect(outputTarget(input, { ...naming, ...opts }, root)).toEqual(target);
  });

  it.each([
    ['{name}.{ext}', '{name}'],
    ['{name}-big', '{name}-big'],
    ['{name}.{ext}.bak', { error: expect.stringContaining('{ext}') }],
    ['{nope}', { error: expect.stringContaining('unknown token {nope}') }],
    ['a/{name}', { error: expect.stringContaining('separator') }],
    ['', { error: expect.stringContaining('empty') }],
  ])('template %s → %o', (template, result) => {
    expect(checkTemplate(template)).toEqual(result);
  });
});

describe('planItems', () => {
  const found = (input: string, root = 'in') => ({ input, kind: 'file' as const, root, discovered: true });

  it('drops files that are outputs of other inputs (a re-run over the same folder)', () => {
    const items = planItems([found('in/a.png'), found('in/a@4x.png'), found('in/b@4x.png')], naming);
    expect(items.map((i) => i.input)).toEqual(['in/a.png', 'in/b@4x.png']);
  });

  it('refuses two inputs that would write the same output', () => {
    expect(() => planItems([found('in/a.png'), found('in/a.jpg')], naming)).toThrow(
      /in\/a\.png and in\/a\.jpg would both write/,
    );
  });

  it('takes a stable shard regardless of order', () => {
    const inputs = Array.from({ length: 30 }, (_, i) => found(`in/p${i}.png`));
    const shard = { index: 2, count: 3 };
    const forward = planItems(inputs, { ...naming, shard }).map((i) => i.input);
    const backward = planItems([...inputs].reverse(), { ...naming, shard }).map((i) => i.input);
    expect(forward.sort()).toEqual(backward.sort());
    expect(forward.length).toBeGreaterThan(0);
    expect(forward.length).toBeLessThan(30);
  });
});

describe('shards', () => {
  it.each([
    ['1/3', { index: 1, count: 3 }],
    [' 3 / 3 ', { index: 3, count: 3 }],
    ['0/3', undefined],
    ['4/3', undefined],
    ['1/0', undefined],
    ['a/b', undefined],
  ])('parses %s', (text, shard) => {
    expect(parseShard(text)).toEqual(shard);
  });

  it('puts every key in exactly one shard', () => {
    for (let k = 0; k < 100; k++) {
      const hits = [1, 2, 3, 4].filter((index) => inShard(`img${k}.png`, { index, count: 4 }));
      expect(hits).toHaveLength(1);
    }
  });

  it('counts what every shard of a split takes, as each shard plans its own', () => {
    const inputs = Array.from({ length: 60 }, (_, k) => ({
      input: `in\\sub\\img${k}.png`,
      kind: 'file' as const,
      root: 'in',
      discovered: true,
    }));
    const sizes = shardSizes(inputs, 6);
    const planned = [1, 2, 3, 4, 5, 6].map(
      (index) => planItems(inputs, { ...naming, shard: { index, count: 6 } }).length,
    );
    expect(sizes).toEqual(planned);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(60);
  });
});

describe('input filters', () => {
  it.each([
    ['.DS_Store', true],
    ['._photo.jpg', true],
    ['Thumbs.db', true],
    ['desktop.ini', true],
    ['photo.jpg', false],
  ])('hidden/system %s → %s', (name, hidden) => {
    expect(isHiddenOrSystem(name)).toBe(hidden);
  });
  it.each([
    ['a.JPG', true],
    ['a.webp', true],
    ['a.txt', false],
    ['._a.jpg', false],
  ])('image name %s → %s', (name, ok) => {
    expect(isImageName(name)).toBe(ok);
  });
  it.each([
    ['photos/2024/*.jpg', 'photos/2024'],
    ['**/*.png', '.'],
    ['a/{b,c}/*.png', 'a'],
  ])('glob base of %s is %s', (pattern, base) => {
    expect(globBase(pattern)).toBe(base);
  });
});

describe('findExistingOutput', () => {
  it('finds an output whatever the case of its extension, and a named file only by its exact name', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'upscale-naming-'));
    await writeFile(join(dir, 'photo@4x.PNG'), '');
    await writeFile(join(dir, 'named.png'), '');
    expect(await findExistingOutput({ dir, stem: 'photo@4x' })).toBe(join(dir, 'photo@4x.PNG'));
    expect(await findExistingOutput({ dir, stem: 'other@4x' })).toBeUndefined();
    const fixed = (name: string) => ({
      dir,
      stem: 'x',
      fixed: { path: join(dir, name), format: 'png' as const },
    });
    expect(await findExistingOutput(fixed('named.png'))).toBe(join(dir, 'named.png'));
    expect(await findExistingOutput(fixed('NAMED.png'))).toBeUndefined();
    expect(await findExistingOutput({ dir: join(dir, 'missing'), stem: 'photo@4x' })).toBeUndefined();
  });

  it("lists a folder once for a run's many inputs, and anew for the next run", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'upscale-naming-'));
    const run = new FolderListings();
    await findExistingOutput({ dir, stem: 'a@4x' }, run);
    await writeFile(join(dir, 'b@4x.png'), '');
    // This run listed the folder a moment ago: the same listing answers.
    expect(await findExistingOutput({ dir, stem: 'b@4x' }, run)).toBeUndefined();
    expect(await findExistingOutput({ dir, stem: 'b@4x' }, new FolderListings())).toBe(join(dir, 'b@4x.png'));
    expect(await findExistingOutput({ dir, stem: 'b@4x' })).toBe(join(dir, 'b@4x.png'));
  });
});
