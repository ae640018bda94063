/** What `upscale download` records of an output, and how the readers of recipes take it. */
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LEDGER_DIR_NAME } from '../../../src/run/ledger/ledger-folder.js';
import { recipeOutputOf, recipeOutputs, recipeTaskIds } from '../../../src/run/ledger/recipe-task-ids.js';
import { RecipeBook, recordDownload } from '../../../src/run/recipe.js';

async function folder(): Promise<{ dir: string; ledgerDir: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'upscale-recipes-'));
  return { dir, ledgerDir: join(dir, LEDGER_DIR_NAME) };
}

describe('recordDownload', () => {
  it('names the task and the output, under the key of the name it took', async () => {
    const { dir, ledgerDir } = await folder();
    await recordDownload({ dir, stem: 'x' }, join(dir, 'x.png'), 'task-a', 'freepik');
    await recordDownload({ dir, stem: 'x-2' }, join(dir, 'x-2.png'), 'task-b', 'freepik');
    expect(await recipeOutputOf(ledgerDir, 'task-a')).toBe('x.png');
    expect(await recipeOutputOf(ledgerDir, 'task-b')).toBe('x-2.png');
    expect(await recipeOutputOf(ledgerDir, 'task-c')).toBeUndefined();
    expect((await recipeTaskIds(ledgerDir)).sort()).toEqual(['task-a', 'task-b']);
    expect((await recipeOutputs(ledgerDir)).sort()).toEqual(['x-2.png', 'x.png']);
    expect(await readdir(join(ledgerDir, 'recipes'))).toHaveLength(2);
  });

  it('is no recipe to a run: the output reads as up to date, never as made with another recipe', async () => {
    const { dir } = await folder();
    const target = { dir, stem: 'photo@2x' };
    const input = join(dir, 'photo.png');
    await writeFile(input, 'pixels');
    await recordDownload(target, join(dir, 'photo@2x.png'), 'task-a', 'freepik');
    const book = new RecipeBook({ provider: 'freepik', params: { scale: 2 }, output: {} });
    expect(await book.read(target)).toBeUndefined();
    expect((await book.freshness(target, input)).freshness).toBe('up-to-date');
  });

  it('a newer record of the same name is that name now: the older task no longer owns it', async () => {
    const { dir, ledgerDir } = await folder();
    // A run's recipe (under the key of `-o x.png`), then a download of another task over it (--overwrite).
    const recipes = join(ledgerDir, 'recipes');
    await recordDownload({ dir, stem: 'x' }, join(dir, 'x.png'), 'task-b', 'freepik');
    const newer = JSON.parse(await readFile(join(recipes, (await readdir(recipes))[0]!), 'utf8')) as {
      writtenAt: string;
    };
    const older = new Date(Date.parse(newer.writtenAt) - 60_000).toISOString();
    await writeFile(
      join(recipes, 'run-key.json'),
      JSON.stringify({ version: 1, output: 'x.png', taskId: 'task-a', writtenAt: older, recipeHash: 'h' }),
    );
    expect(await recipeOutputOf(ledgerDir, 'task-b')).toBe('x.png');
    expect(await recipeOutputOf(ledgerDir, 'task-a')).toBeUndefined();
  });
});
