/** Task-list answers shared by the runs on one key and one output folder (FolderListBoard). */
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ListedTask } from '../../src/providers/types.js';
import { boardName, FolderListBoard } from '../../src/run/list-board.js';
import { localFolder } from '../../src/store/local-folder.js';

let dir: string;
let name: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'upscale-list-board-'));
  name = boardName(dir, 'https://api.example.test', 'KEY-1');
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const listed: ListedTask[] = [
  { taskId: 't1', state: { status: 'running', progress: 40 } },
  { taskId: 't2', state: { status: 'succeeded', urls: ['https://cdn.example.test/x.png'] } },
  { taskId: 't3', state: { status: 'failed', reason: 'nsfw' } },
  { taskId: 't4', state: { status: 'queued' } },
];

describe('FolderListBoard', () => {
  it('names the file by key and API root, never with the key in it, and never as a ledger entry', () => {
    expect(name.startsWith(dir)).toBe(true);
    expect(name).not.toContain('KEY-1');
    expect(name.endsWith('.json')).toBe(false);
    expect(boardName(dir, 'https://api.example.test', 'KEY-2')).not.toBe(name);
    expect(boardName(dir, 'https://other.example.test', 'KEY-1')).not.toBe(name);
  });

  it("gives a peer's post once, as states (a finished task without its URLs), and never its own", async () => {
    const mine = new FolderListBoard(localFolder, name);
    const peer = new FolderListBoard(localFolder, name);
    expect(await mine.news()).toBeUndefined(); // nothing there yet
    await peer.post(listed);
    expect(await mine.news()).toEqual([
      { taskId: 't1', state: { status: 'running' } },
      { taskId: 't2', state: { status: 'succeeded', urls: [] } },
      { taskId: 't3', state: { status: 'failed', reason: 'nsfw' } },
      { taskId: 't4', state: { status: 'queued' } },
    ]);
    expect(await mine.news()).toBeUndefined(); // unchanged: not news again
    await mine.post(listed.slice(0, 1));
    expect(await mine.news()).toBeUndefined();
    expect(await peer.news()).toEqual([{ taskId: 't1', state: { status: 'running' } }]);
  });

  it('takes what was there before its first look for old (a run that ended), and skips what is not a post', async () => {
    const old = new FolderListBoard(localFolder, name);
    await old.post(listed);
    const mine = new FolderListBoard(localFolder, name);
    expect(await mine.news()).toBeUndefined();
    await writeFile(name, '{"v":1,"writer":"x","tasks":[["t1","exploded"]]}');
    expect(await mine.news()).toBeUndefined();
    await writeFile(name, '{"v":1,"writer":"x","tas');
    expect(await mine.news()).toBeUndefined();
    await writeFile(name, '{"v":1,"writer":"x","tasks":[["t9","running"]]}');
    expect(await mine.news()).toEqual([{ taskId: 't9', state: { status: 'running' } }]);
  });

  it('at the end removes its own post, but not one a peer wrote after it', async () => {
    const mine = new FolderListBoard(localFolder, name);
    const peer = new FolderListBoard(localFolder, name);
    await mine.post(listed);
    await mine.close();
    expect(await readdir(dir)).toEqual([]);
    await mine.post(listed);
    await peer.post(listed.slice(1));
    await mine.close();
    expect(await readdir(dir)).toHaveLength(1);
    await peer.close();
    expect(await readdir(dir)).toEqual([]);
  });

  it('at the end removes a post a killed run left (unchanged all run long), so the ledger folder can go', async () => {
    const killed = new FolderListBoard(localFolder, name);
    await killed.post(listed);
    const mine = new FolderListBoard(localFolder, name);
    expect(await mine.news()).toBeUndefined();
    await mine.close();
    expect(await readdir(dir)).toEqual([]);
  });

  it('a folder that cannot take the post costs nothing but the sharing', async () => {
    const board = new FolderListBoard(localFolder, join(dir, 'missing', 'x.tasks'));
    await expect(board.post(listed)).resolves.toBeUndefined();
    await expect(board.news()).resolves.toBeUndefined();
    await expect(board.close()).resolves.toBeUndefined();
  });
});
