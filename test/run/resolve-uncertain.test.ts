/**
 * What became of a lost submit, decided without the CLI: the provider's task list and status
 * answers are a fake, the candidates' results real images on a scripted file server, the ledger
 * a real one in a temp folder.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { UpscaleError } from '../../src/errors.js';
import { HttpClient } from '../../src/http/client.js';
import type { ListedTask, TaskState } from '../../src/providers/types.js';
import { Ledger } from '../../src/run/ledger/ledger.js';
import { type Connection, fetchTaskState, hasTaskList, listAllTasks } from '../../src/run/provider-api.js';
import { type Claimant, UncertainResolver } from '../../src/run/resolve-uncertain.js';
import { scripts, base as server, serveScripts } from '../image/scripted-server.js';

vi.mock('../../src/run/provider-api.js', async (importOriginal) => ({
  ...(await importOriginal<typeof import('../../src/run/provider-api.js')>()),
  hasTaskList: vi.fn(),
  listAllTasks: vi.fn(),
  fetchTaskState: vi.fn(),
}));

serveScripts();

const IMAGES = join(import.meta.dirname, '../../fixtures/images');
const PHOTO = join(IMAGES, 'photo.jpg');
const lists = vi.mocked(listAllTasks);
const statuses = vi.mocked(fetchTaskState);

/** The results a task could have: this photo at 2x, and another picture at the same size. */
const results: Record<'mine' | 'other', Buffer> = { mine: Buffer.alloc(0), other: Buffer.alloc(0) };

beforeAll(async () => {
  results.mine = await sharp(PHOTO).resize(640, 480).png().toBuffer();
  results.other = await sharp(join(IMAGES, 'photos', 'coffee.png'))
    .resize(640, 480, { fit: 'fill' })
    .png()
    .toBuffer();
});

let dir: string;
let client: HttpClient;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'upscale-resolve-'));
  client = new HttpClient({ random: () => 0 });
  vi.mocked(hasTaskList).mockReturnValue(true);
  scripts.clear();
});

afterEach(async () => {
  vi.mocked(hasTaskList).mockReset();
  lists.mockReset();
  statuses.mockReset();
  await client.close();
  await rm(dir, { recursive: true, force: true });
});

const conn = () =>
  ({
    provider: { id: 'fake', limits: {} },
    baseUrl: 'https://api.fake.test',
    apiKey: 'k',
    client,
  }) as unknown as Connection;

function resolverFor(ledger = new Ledger(undefined, dir)) {
  return new UncertainResolver(conn(), ledger, { pollIntervalMs: 10, timeoutMs: 5000, settleMs: 0 });
}

/** A listed task whose result is `look`, served by the file server; its status says so. */
function task(taskId: string, look: keyof typeof results | 'failed'): ListedTask {
  const state: TaskState =
    look === 'failed' ? { status: 'failed' } : { status: 'succeeded', urls: [`${server}/r/${taskId}.png`] };
  if (look !== 'failed') {
    const bytes = results[look];
    scripts.set(`/r/${taskId}.png`, [
      (res) => res.writeHead(200, { 'content-type': 'image/png', 'content-length': bytes.length }).end(bytes),
    ]);
  }
  return { taskId, state };
}

/** The status endpoint answers from the listed tasks. */
function listing(...tasks: ListedTask[]) {
  lists.mockResolvedValue(tasks);
  statuses.mockImplementation(
    async (_conn, id) => tasks.find((t) => t.taskId === id)?.state ?? { status: 'queued' },
  );
}

const claimant = (extra: Partial<Claimant> = {}): Claimant => ({
  key: 'k-photo',
  input: 'photo.jpg',
  imagePath: PHOTO,
  startedAt: Date.now() - 500,
  ...extra,
});

describe('UncertainResolver.resolve', () => {
  it('without a task list it cannot tell, and says why', async () => {
    vi.mocked(hasTaskList).mockReturnValue(false);
    expect(await resolverFor().resolve(claimant(), dir)).toEqual({
      kind: 'undecided',
      why: 'fake has no task list to look in',
      candidates: [],
    });
    expect(lists).not.toHaveBeenCalled();
  });

  it('an empty list: the submit created nothing', async () => {
    listing();
    expect(await resolverFor().resolve(claimant(), dir)).toEqual({ kind: 'none' });
  });

  it('the listed task whose result is this input at the requested scale is its own', async () => {
    listing(task('t-other', 'other'), task('t-mine', 'mine'));
    const resolver = resolverFor();
    expect(await resolver.resolve(claimant(), dir)).toEqual({ kind: 'found', taskId: 't-mine' });
    // Held for this input: another answer naming it is refused (see remote-task.ts).
    expect(resolver.hold('t-mine')).toBe(false);
    expect(resolver.hold('t-new')).toBe(true);
  });

  it('a result of another size than the requested scale gives is not its task', async () => {
    listing(task('t-mine', 'mine'));
    const expected = { exact: { width: 1280, height: 960 }, floored: { width: 1280, height: 960 } };
    const got = await resolverFor().resolve(claimant({ expected }), dir);
    expect(got).toMatchObject({ kind: 'undecided', candidates: ['t-mine'] });
    expect(got.kind === 'undecided' && got.why).toContain('1 of another size');
  });

  it('a new task that looks like another picture keeps the input undecided: nothing is sent again', async () => {
    listing(task('t-other', 'other'));
    const got = await resolverFor().resolve(claimant(), dir);
    expect(got).toMatchObject({ kind: 'undecided', candidates: ['t-other'] });
    expect(got.kind === 'undecided' && got.why).toContain('belong to no entry');
  });

  it('tasks listed at or below the newest one before the run, failed ones and held ones are no candidates', async () => {
    listing(
      task('t-failed', 'failed'),
      task('t-held', 'other'),
      task('t-before', 'other'),
      task('t-older', 'other'),
    );
    const resolver = resolverFor();
    resolver.hold('t-held');
    expect(await resolver.resolve(claimant({ newestListed: 't-before' }), dir)).toEqual({ kind: 'none' });
    // The list was read down to the mark only.
    const until = lists.mock.calls[0]?.[4];
    expect(until?.({ taskId: 't-before', state: { status: 'queued' } })).toBe(true);
    expect(until?.({ taskId: 't-held', state: { status: 'queued' } })).toBe(false);
  });

  it('a task an entry of the output folder knows is spoken for', async () => {
    const ledger = new Ledger(undefined, dir);
    const slot = ledger.slot(
      { input: 'b.png', kind: 'file', target: { dir, stem: 'b@2x' } },
      { provider: 'fake', baseUrl: 'https://api.fake.test', params: {} },
      {},
    );
    await slot.write({ state: 'submitted', taskId: 't-known', submittedAt: 1 });
    listing(task('t-known', 'other'));
    expect(await resolverFor(ledger).resolve(claimant(), dir)).toEqual({ kind: 'none' });
  });

  it('a list that cannot be read decides nothing', async () => {
    lists.mockRejectedValue(new Error('HTTP 502'));
    expect(await resolverFor().resolve(claimant(), dir)).toEqual({
      kind: 'undecided',
      why: 'the task list could not be read (HTTP 502)',
      candidates: [],
    });
  });
});

describe('UncertainResolver.newestBeforeSubmits', () => {
  it('is the first listed task, asked once per run', async () => {
    lists.mockResolvedValue([{ taskId: 'newest', state: { status: 'queued' } }]);
    const resolver = resolverFor();
    expect(await resolver.newestBeforeSubmits()).toBe('newest');
    expect(await resolver.newestBeforeSubmits()).toBe('newest');
    expect(lists).toHaveBeenCalledTimes(1);
    expect(lists.mock.calls[0]?.[3]).toBe(1);
  });

  it('is null for an empty list and undefined without a list or when it fails', async () => {
    lists.mockResolvedValue([]);
    expect(await resolverFor().newestBeforeSubmits()).toBeNull();
    lists.mockRejectedValue(new UpscaleError('HTTP', 'HTTP 500'));
    expect(await resolverFor().newestBeforeSubmits()).toBeUndefined();
    vi.mocked(hasTaskList).mockReturnValue(false);
    expect(await resolverFor().newestBeforeSubmits()).toBeUndefined();
  });

  it('an answer every submit would meet (a refused key) stops the submits here', async () => {
    lists.mockRejectedValue(new UpscaleError('AUTH', 'the key was refused'));
    await expect(resolverFor().newestBeforeSubmits()).rejects.toMatchObject({ code: 'AUTH' });
  });
});
