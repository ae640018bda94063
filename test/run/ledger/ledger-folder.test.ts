/** Start-up clean-up of a ledger folder after runs that were killed. */
import { spawnSync } from 'node:child_process';
import { link, mkdir, mkdtemp, readdir, readFile, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ownerTag } from '../../../src/fs/owner.js';
import { LEDGER_VERSION, type LedgerEntry } from '../../../src/run/ledger/entry.js';
import { LedgerFolder } from '../../../src/run/ledger/ledger-folder.js';

function deadPid(): number {
  return Number(
    spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString(),
  );
}

function committing(dir: string, temp: string, outputPath: string): LedgerEntry {
  return {
    version: LEDGER_VERSION,
    state: 'committing',
    taskId: 'task-1',
    submittedAt: 1,
    urls: ['https://cdn/x.png'],
    temp,
    outputPath,
    provider: 'freepik',
    baseUrl: 'https://api.freepik.com',
    params: {},
    input: 'a.png',
    kind: 'file',
    target: { dir, stem: 'a@2x' },
    recordedAt: new Date().toISOString(),
  };
}

/** A folder with a dead run's finished temp file holding `content`, and the output it was moving to. */
async function killedMove(content: string) {
  const dir = await mkdtemp(join(tmpdir(), 'ledger-'));
  const temp = join(dir, `.a@2x.out.${ownerTag(deadPid())}-0123abcd.part`);
  await writeFile(temp, content);
  return { dir, folder: new LedgerFolder(dir), temp, output: join(dir, 'a@2x.png') };
}

describe('LedgerFolder.tidy', () => {
  it('finishes a move that a killed run started, then removes its entry and the folder', async () => {
    const { dir, folder, temp, output } = await killedMove('verified result');
    await folder.write('k1', committing(dir, temp, output));
    await folder.tidy();
    expect(await readFile(output, 'utf8')).toBe('verified result');
    expect(await readdir(dir)).toEqual(['a@2x.png']);
  });

  it('finishes a move killed between its hard link and its unlink without a second copy', async () => {
    const { dir, folder, temp, output } = await killedMove('verified result');
    await link(temp, output);
    await folder.write('k1', committing(dir, temp, output));
    await folder.tidy();
    expect(await readFile(output, 'utf8')).toBe('verified result');
    expect(await readdir(dir)).toEqual(['a@2x.png']);
  });

  it('after the first of two results, keeps the entry as completed with one result written', async () => {
    const { dir, folder, temp, output } = await killedMove('first result');
    const entry = { ...committing(dir, temp, output), urls: ['https://cdn/1.png', 'https://cdn/2.png'] };
    await folder.write('k1', entry);
    await folder.tidy();
    expect(await readFile(output, 'utf8')).toBe('first result');
    expect(await folder.read('k1')).toMatchObject({ state: 'completed', written: 1, urls: entry.urls });
    expect(await folder.read('k1')).not.toHaveProperty('temp');
  });

  it('removes the entry of a move that completed just before the crash', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ledger-'));
    const folder = new LedgerFolder(dir);
    await writeFile(join(dir, 'a@2x.png'), 'committed');
    await folder.write('k1', committing(dir, join(dir, '.gone.part'), join(dir, 'a@2x.png')));
    await folder.tidy();
    expect(await folder.entries()).toEqual([]);
  });

  it('keeps an entry whose result is neither moved nor movable (the next run downloads it again)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ledger-'));
    const folder = new LedgerFolder(dir);
    await folder.write('k1', committing(dir, join(dir, '.gone.part'), join(dir, 'a@2x.png')));
    await folder.tidy();
    expect((await folder.entries()).map((e) => e.key)).toEqual(['k1']);
  });

  it("removes dead processes' temp files and keeps live ones'", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ledger-'));
    await mkdir(join(dir, '.upscale'));
    const dead = `.a@2x.out.${ownerTag(deadPid())}-0123abcd.part`;
    const live = `.b@2x.out.${ownerTag()}-0123abcd.part`;
    const deadTmp = `.k1.json.${ownerTag(deadPid())}-89abcdef.tmp`;
    await writeFile(join(dir, dead), 'x');
    await writeFile(join(dir, live), 'x');
    await writeFile(join(dir, '.upscale', deadTmp), 'x');
    await new LedgerFolder(dir).tidy();
    expect(await readdir(dir)).toEqual([live]);
  });

  it("keeps another container's or host's temp files, and earlier versions' host-name-only ones, until a day old", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ledger-'));
    // Another pid namespace on this host: its pid means nothing here, whether it runs or not.
    const other = `.a@2x.out.0123456789ab-${deadPid()}-0123abcd.part`;
    // Earlier versions tagged temp files with a hash of the host name alone.
    const legacy = `.b@2x.out.89abcdef-${deadPid()}-0123abcd.part`;
    const stale = `.c@2x.out.0123456789ab-${deadPid()}-4567abcd.part`;
    for (const name of [other, legacy, stale]) await writeFile(join(dir, name), 'x');
    const twoDays = (Date.now() - 48 * 3600_000) / 1000;
    await utimes(join(dir, stale), twoDays, twoDays);
    await new LedgerFolder(dir).tidy();
    expect((await readdir(dir)).sort()).toEqual([other, legacy].sort());
  });

  it("keeps the temp file of a move whose claim is not known dead (another container's run)", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ledger-'));
    const folder = new LedgerFolder(dir);
    const temp = join(dir, `.a@2x.out.${ownerTag(deadPid())}-0123abcd.part`);
    await writeFile(temp, 'verified result');
    await folder.write('k1', committing(dir, temp, join(dir, 'a@2x.png')));
    const lock = { pid: 1, host: '0123456789ab', token: 'other000', since: 0, input: 'a.png' };
    await writeFile(join(dir, '.upscale', 'k1.lock'), JSON.stringify(lock));
    await folder.tidy();
    expect((await readdir(dir)).sort()).toEqual([basename(temp), '.upscale']);
    expect((await folder.entries()).map((e) => e.key)).toEqual(['k1']);
  });
});
