/**
 * The ledger of a run, without the CLI: keys, slots and their entries on disk, the home's index
 * and known task ids, what recovery is told of lost submits, and entries of earlier versions.
 */
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LEDGER_VERSION, type LedgerEntry } from '../../../src/run/ledger/entry.js';
import { Ledger } from '../../../src/run/ledger/ledger.js';
import { LEDGER_DIR_NAME, LedgerFolder } from '../../../src/run/ledger/ledger-folder.js';
import { LedgerHome } from '../../../src/run/ledger/ledger-home.js';

let dir: string;
let home: LedgerHome;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'upscale-ledger-'));
  home = new LedgerHome(join(dir, 'config'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const recipe = { provider: 'fake', baseUrl: 'https://api.fake.test', params: { scale: '2x' } };
const item = (input = 'a.png', target = { dir: 'out', stem: 'a@2x' }) => ({
  input,
  kind: 'file' as const,
  target,
});

describe('Ledger', () => {
  it('writes an entry with its recipe, absolute paths and the state, and notes the folder and task id', async () => {
    const ledger = new Ledger(home, dir);
    const slot = ledger.slot(item(), { ...recipe, contentHash: 'h' }, { overwrite: true });
    await slot.write({ state: 'submitted', taskId: 't-1', submittedAt: 5 });
    const entry = await slot.read();
    expect(entry).toMatchObject({
      version: LEDGER_VERSION,
      state: 'submitted',
      taskId: 't-1',
      submittedAt: 5,
      provider: 'fake',
      contentHash: 'h',
      input: 'a.png',
      path: join(dir, 'a.png'),
      kind: 'file',
      target: { dir: join(dir, 'out'), stem: 'a@2x' },
      overwrite: true,
    });
    expect(Date.parse(entry!.recordedAt)).not.toBeNaN();
    const file = join(dir, 'out', LEDGER_DIR_NAME, `${slot.key}.json`);
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual(entry);
    expect(await home.folders()).toEqual([join(dir, 'out')]);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect([...(await home.knownTaskIds())]).toEqual(['t-1']);
    await slot.remove();
    expect(await slot.read()).toBeUndefined();
  });

  it('gives one key to one output however it is reached: two names of a folder, a named file', async () => {
    await mkdir(join(dir, 'out'));
    await symlink(join(dir, 'out'), join(dir, 'link'));
    const ledger = new Ledger(undefined, dir);
    const key = ledger.keyOf({ dir: 'out', stem: 'a@2x' });
    expect(ledger.keyOf({ dir: join(dir, 'link'), stem: 'a@2x' })).toBe(key);
    expect(ledger.keyOf({ dir: 'out', stem: 'b@2x' })).not.toBe(key);
    expect(ledger.folder('link')).toBe(ledger.folder(join(dir, 'out')));
  });

  it("moves an earlier version's entry of a named file to the output's key, so it is collected", async () => {
    const ledger = new Ledger(undefined, dir);
    const target = { dir: 'out', stem: 'photo', fixed: { path: 'out/photo.png', format: 'png' as const } };
    const slot = ledger.slot(item('a.png', target), recipe, {});
    const folder = ledger.folder('out');
    // Earlier versions keyed a named file by its path with the extension.
    const earlierKey = LedgerFolder.keyOf({
      dir: join(dir, 'out'),
      stem: 'photo',
      fixed: { path: join(dir, 'out/photo.png'), format: 'png' },
    });
    expect(earlierKey).not.toBe(slot.key);
    const earlier = { ...entryFor(slot.base), taskId: 't-old' } as LedgerEntry;
    await folder.write(earlierKey, earlier);
    expect(await slot.read()).toMatchObject({ taskId: 't-old' });
    expect((await folder.entries()).map((e) => e.key)).toEqual([slot.key]);
  });

  it('tells recovery the lost submits of its folders and every task id spoken for', async () => {
    const ledger = new Ledger(home, dir);
    const lost = ledger.slot(item('a.png'), recipe, {});
    await lost.write({ state: 'uncertain', startedAt: 7, reason: 'lost' });
    await ledger.slot(item('b.png', { dir: 'out', stem: 'b@2x' }), recipe, {}).write({
      state: 'completed',
      taskId: 't-b',
      submittedAt: 1,
      urls: ['https://cdn/b.png'],
    });
    await mkdir(join(dir, 'out', LEDGER_DIR_NAME, 'recipes'), { recursive: true });
    await writeFile(
      join(dir, 'out', LEDGER_DIR_NAME, 'recipes', 'c.json'),
      JSON.stringify({ taskId: 't-c' }),
    );
    // An entry of a newer version still names its task.
    await writeFile(
      join(dir, 'out', LEDGER_DIR_NAME, 'newer.json'),
      JSON.stringify({ version: LEDGER_VERSION + 1, input: 'd.png', taskId: 't-d' }),
    );
    await home.noteTaskId('t-home');
    ledger.noteTaskId('t-run');
    const { known, unresolved } = await ledger.lostSubmitView();
    expect([...known].sort()).toEqual(['t-b', 't-c', 't-d', 't-home', 't-run']);
    expect(unresolved).toEqual([
      {
        key: lost.key,
        provider: 'fake',
        baseUrl: 'https://api.fake.test',
        startedAt: 7,
        path: join(dir, 'a.png'),
      },
    ]);
  });

  it('an output with results left: its first results written, the entry still completed or committing', async () => {
    const ledger = new Ledger(undefined, dir);
    const target = { dir: 'out', stem: 'a@2x' };
    const slot = ledger.slot(item('a.png', target), recipe, {});
    const paid = { taskId: 't', submittedAt: 1, urls: ['u1', 'u2'] };
    expect(await ledger.resultsLeft(target)).toBe(false);
    await slot.write({ state: 'completed', ...paid });
    expect(await ledger.resultsLeft(target)).toBe(false);
    await slot.write({ state: 'completed', ...paid, written: 1 });
    expect(await ledger.resultsLeft(target)).toBe(true);
    await slot.write({ state: 'committing', ...paid, written: 1, temp: 't.part', outputPath: 'o.png' });
    expect(await ledger.resultsLeft(target)).toBe(true);
    await slot.write({ state: 'submitted', taskId: 't', submittedAt: 1 });
    expect(await ledger.resultsLeft(target)).toBe(false);
  });

  it('an entry it cannot read stops its input (LEDGER_UNREADABLE), and is kept', async () => {
    const ledger = new Ledger(undefined, dir);
    const slot = ledger.slot(item(), recipe, {});
    await mkdir(join(dir, 'out', LEDGER_DIR_NAME), { recursive: true });
    const file = join(dir, 'out', LEDGER_DIR_NAME, `${slot.key}.json`);
    await writeFile(file, '{"version":2,"state":"subm');
    await expect(slot.read()).rejects.toMatchObject({ code: 'LEDGER_UNREADABLE' });
    expect(await readdir(join(dir, 'out', LEDGER_DIR_NAME))).toEqual([`${slot.key}.json`]);
  });

  it('close removes the ledger folders with nothing pending, and keeps the others', async () => {
    const ledger = new Ledger(undefined, dir);
    const done = ledger.slot(item('a.png', { dir: 'one', stem: 'a' }), recipe, {});
    const pending = ledger.slot(item('b.png', { dir: 'two', stem: 'b' }), recipe, {});
    await done.write({ state: 'submitting', startedAt: 1 });
    await pending.write({ state: 'submitting', startedAt: 1 });
    await done.remove();
    await ledger.close();
    expect(await readdir(join(dir, 'one'))).toEqual([]);
    expect(await readdir(join(dir, 'two'))).toEqual([LEDGER_DIR_NAME]);
  });
});

/** A whole entry for a slot's base, as LedgerSlot.write makes it. */
function entryFor(base: object): LedgerEntry {
  return {
    ...base,
    state: 'submitted',
    taskId: 't',
    submittedAt: 1,
    version: LEDGER_VERSION,
    recordedAt: new Date().toISOString(),
  } as LedgerEntry;
}
