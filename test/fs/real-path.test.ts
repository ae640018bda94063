/** Real paths of output folders that may not exist yet: one answer for two names of one folder. */
import { mkdir, mkdtemp, realpath, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { realPathOf } from '../../src/fs/real-path.js';

const base = async () => realpath(await mkdtemp(join(tmpdir(), 'real-path-')));

describe('realPathOf', () => {
  it('resolves a symlink to a folder', async () => {
    const dir = await base();
    await mkdir(join(dir, 'out'));
    await symlink('out', join(dir, 'outlink'));
    expect(realPathOf(join(dir, 'outlink'))).toBe(join(dir, 'out'));
  });

  it('resolves the longest existing ancestor of a folder that does not exist yet', async () => {
    const dir = await base();
    await mkdir(join(dir, 'out'));
    await symlink('out', join(dir, 'outlink'));
    expect(realPathOf(join(dir, 'outlink', 'a', 'b'))).toBe(join(dir, 'out', 'a', 'b'));
    expect(realPathOf(join(dir, 'missing', 'x'))).toBe(join(dir, 'missing', 'x'));
  });

  it('follows a dangling symlink to where the folder will appear', async () => {
    const dir = await base();
    await symlink('later', join(dir, 'link'));
    expect(realPathOf(join(dir, 'link', 'sub'))).toBe(join(dir, 'later', 'sub'));
  });

  it('gives up on a loop of links without throwing', async () => {
    const dir = await base();
    await symlink('b', join(dir, 'a'));
    await symlink('a', join(dir, 'b'));
    expect(() => realPathOf(join(dir, 'a', 'x'))).not.toThrow();
  });
});
