/**
 * One remote input through the run core, without the CLI: the provider's API is a fake (submit and
 * status answers scripted per test), the ledger a real one in a temp folder, the results served by
 * a scripted file server on 127.0.0.1. Each test reads the ledger states written, in order.
 */
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { UpscaleError } from '../../src/errors.js';
import { HttpClient } from '../../src/http/client.js';
import type { TaskState } from '../../src/providers/types.js';
import type { LedgerEntry, LedgerState } from '../../src/run/ledger/entry.js';
import { Ledger, type LedgerSlot } from '../../src/run/ledger/ledger.js';
import { LedgerFolder } from '../../src/run/ledger/ledger-folder.js';
import { STOPPED_MID_SUBMIT } from '../../src/run/ledger/transitions.js';
import type { Prepared } from '../../src/run/prepare.js';
import { type Connection, fetchTaskState, submitTask } from '../../src/run/provider-api.js';
import { downloadById, resumeEntry, runRemoteTask } from '../../src/run/remote-task.js';
import type { Resolution, UncertainResolver } from '../../src/run/resolve-uncertain.js';
import { type InputTask, newRunState, type RemoteRun, type RunContext } from '../../src/run/task-types.js';
import { base, image, scripts, served, serveScripts } from '../image/scripted-server.js';

vi.mock('../../src/run/provider-api.js', async (importOriginal) => ({
  ...(await importOriginal<typeof import('../../src/run/provider-api.js')>()),
  submitTask: vi.fn(),
  fetchTaskState: vi.fn(),
}));

serveScripts();

const KEY = 'KEY-SECRET-123';
const submits = vi.mocked(submitTask);
const statuses = vi.mocked(fetchTaskState);

let dir: string;
let outDir: string;
let input: string;
/** Every state written to a ledger entry, and `removed` for each entry removed, in order. */
let written: (LedgerState | 'removed')[];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'upscale-remote-task-'));
  outDir = join(dir, 'out');
  await mkdir(outDir);
  input = join(dir, 'a.png');
  await writeFile(
    input,
    await sharp({ create: { width: 4, height: 3, channels: 3, background: '#123' } })
      .png()
      .toBuffer(),
  );
  written = [];
  const write = LedgerFolder.prototype.write;
  vi.spyOn(LedgerFolder.prototype, 'write').mockImplementation(async function (
    this: LedgerFolder,
    key,
    entry,
  ) {
    await write.call(this, key, entry);
    written.push(stateOf(entry));
  });
  const remove = LedgerFolder.prototype.remove;
  vi.spyOn(LedgerFolder.prototype, 'remove').mockImplementation(async function (this: LedgerFolder, key) {
    await remove.call(this, key);
    written.push('removed');
  });
  scripts.clear();
  served.clear();
});

afterEach(async () => {
  vi.restoreAllMocks();
  submits.mockReset();
  statuses.mockReset();
  await rm(dir, { recursive: true, force: true });
});

/** The state fields of an entry (what the machine decides), without its recipe and target. */
function stateOf(entry: LedgerEntry): LedgerState {
  const { state } = entry;
  const fields = [
    'startedAt',
    'newestListed',
    'reason',
    'candidates',
    'taskId',
    'submittedAt',
    'urls',
    'written',
  ];
  const picked: Record<string, unknown> = { state };
  for (const f of fields) if (f in entry) picked[f] = (entry as unknown as Record<string, unknown>)[f];
  if (state === 'committing') picked.outputPath = entry.outputPath;
  return picked as unknown as LedgerState;
}

const names = () => written.map((s) => (s === 'removed' ? s : s.state));

/** A resolver whose task-list answers the test scripts. */
function resolver(...answers: Resolution[]) {
  const asked: string[] = [];
  const fake = {
    newestBeforeSubmits: async () => 'old-task',
    hold: () => true,
    resolve: async (claimant: { input: string }) => {
      asked.push(claimant.input);
      return answers.shift() ?? { kind: 'none' };
    },
  };
  return { asked, resolver: fake as unknown as UncertainResolver };
}

function makeRun(extra: Partial<RunContext> = {}): RemoteRun {
  const connection = {
    provider: { id: 'fake', limits: {}, scaleOf: () => 2, outputTag: () => '2x' },
    baseUrl: 'https://api.fake.test',
    apiKey: KEY,
    authStyle: 'bearer',
    client: new HttpClient({ random: () => 0 }),
  } as unknown as Connection;
  return {
    provider: connection.provider,
    client: connection.client,
    connection,
    pollIntervalMs: 10,
    timeoutMs: 10_000,
    ledger: new Ledger(undefined, dir),
    state: newRunState({ gated: true }),
    ...extra,
  } as RemoteRun;
}

function makeTask(path = input, stem = 'a@2x'): InputTask {
  const target = { dir: outDir, stem };
  return {
    item: { input: path, kind: 'file', target },
    plan: { target, replace: false },
    params: { scale: '2x' },
    overwrite: false,
  };
}

function prepared(path = input): Prepared {
  return {
    image: { kind: 'file', path, size: 100 },
    params: { scale: '2x' },
    size: {},
    inputHash: 'hash-of-a',
    cleanup: async () => undefined,
  };
}

/** The slot runRemoteTask would use for `task` (same recipe), to write an earlier run's entry. */
function slotOf(
  run: RunContext,
  task: InputTask,
  params: Record<string, string> = { scale: '2x' },
): LedgerSlot {
  const recipe = { provider: 'fake', baseUrl: 'https://api.fake.test', params, contentHash: 'hash-of-a' };
  return run.ledger!.slot({ ...task.item, target: task.plan.target }, recipe, {});
}

/** A result URL the file server answers with a small PNG. */
function result(name: string): string {
  scripts.set(`/r/${name}.png`, [image]);
  return `${base}/r/${name}.png`;
}

const queued: TaskState = { status: 'queued' };
const done = (...urls: string[]): TaskState => ({ status: 'succeeded', urls });

describe('runRemoteTask', () => {
  it('records each state before its side effect and removes the entry once the output is in place', async () => {
    const url = result('t1');
    submits.mockResolvedValue({ taskId: 't1', state: queued });
    statuses.mockResolvedValue(done(url));
    const onSubmitted = vi.fn();
    const run = makeRun({ events: { onSubmitted } });
    const got = await runRemoteTask(run, makeTask(), prepared());
    expect(got).toMatchObject({
      status: 'succeeded',
      taskId: 't1',
      output: join(outDir, 'a@2x.png'),
      width: 8,
    });
    expect(names()).toEqual(['submitting', 'submitted', 'completed', 'committing', 'removed']);
    const [submitting, submitted] = written as LedgerState[];
    expect(submitting).toEqual({ state: 'submitting', startedAt: expect.any(Number) });
    expect(submitting).not.toHaveProperty('newestListed');
    expect(submitted).toMatchObject({ taskId: 't1' });
    expect(written[3]).toMatchObject({ urls: [url], outputPath: join(outDir, 'a@2x.png') });
    expect(written[3]).not.toHaveProperty('written');
    expect(await run.ledger!.folder(outDir).entries()).toEqual([]);
    expect(await sharp(join(outDir, 'a@2x.png')).metadata()).toMatchObject({ width: 8, height: 6 });
    expect(submits).toHaveBeenCalledTimes(1);
    expect(onSubmitted).toHaveBeenCalledWith(input, 't1', false);
  });

  it('a refused submit removes its mark, and no other input of the run is sent', async () => {
    submits.mockRejectedValue(new UpscaleError('AUTH', 'the key was refused', { hint: 'check the key' }));
    const run = makeRun();
    const got = await runRemoteTask(run, makeTask(), prepared());
    expect(got).toMatchObject({ status: 'failed', error: { code: 'AUTH', hint: 'check the key' } });
    expect(names()).toEqual(['submitting', 'removed']);
    expect(run.state.submits?.stoppedBy?.code).toBe('AUTH');
    const other = join(dir, 'b.png');
    await writeFile(other, 'b');
    const second = await runRemoteTask(run, makeTask(other, 'b@2x'), prepared(other));
    expect(second).toMatchObject({ status: 'failed', error: { code: 'AUTH' } });
    expect(submits).toHaveBeenCalledTimes(1);
    expect(await run.ledger!.folder(outDir).entries()).toEqual([]);
  });

  it('a lost answer is looked for in the task list: the task found there is adopted, not paid again', async () => {
    submits.mockRejectedValue(
      new UpscaleError('SUBMIT_UNCERTAIN', `the submit may have created a task (reset; key ${KEY})`),
    );
    statuses.mockResolvedValue(done(result('t9')));
    const onSubmitted = vi.fn();
    const { resolver: found, asked } = resolver({ kind: 'found', taskId: 't9' });
    const run = makeRun({ resolver: found, events: { onSubmitted } });
    const got = await runRemoteTask(run, makeTask(), prepared());
    expect(got).toMatchObject({ status: 'succeeded', taskId: 't9' });
    expect(names()).toEqual(['submitting', 'uncertain', 'submitted', 'completed', 'committing', 'removed']);
    const [submitting, uncertain, adopted] = written as Extract<LedgerState, { state: 'submitting' }>[];
    expect(submitting).toMatchObject({ newestListed: 'old-task' });
    expect(uncertain).toMatchObject({ startedAt: submitting!.startedAt, newestListed: 'old-task' });
    // Stored in the output folder: never with the key in it.
    expect((uncertain as unknown as { reason: string }).reason).toBe(
      'the submit may have created a task (reset; key ***)',
    );
    expect(adopted).toEqual({ state: 'submitted', taskId: 't9', submittedAt: submitting!.startedAt });
    expect(asked).toEqual([input]);
    expect(submits).toHaveBeenCalledTimes(1);
    expect(onSubmitted).toHaveBeenCalledWith(input, 't9', true);
  });

  it('a lost submit the list shows created nothing is sent again', async () => {
    submits
      .mockRejectedValueOnce(new UpscaleError('SUBMIT_UNCERTAIN', 'lost'))
      .mockResolvedValueOnce({ taskId: 't2', state: done(result('t2')) });
    const run = makeRun({ resolver: resolver({ kind: 'none' }).resolver });
    const got = await runRemoteTask(run, makeTask(), prepared());
    expect(got).toMatchObject({ status: 'succeeded', taskId: 't2' });
    expect(names()).toEqual([
      'submitting',
      'uncertain',
      'submitting',
      'submitted',
      'completed',
      'committing',
      'removed',
    ]);
    expect(submits).toHaveBeenCalledTimes(2);
    expect(statuses).not.toHaveBeenCalled();
  });

  it('a list that cannot tell keeps the entry uncertain with its candidates, and sends nothing more', async () => {
    submits.mockRejectedValue(new UpscaleError('SUBMIT_UNCERTAIN', 'HTTP 502'));
    const undecided: Resolution = {
      kind: 'undecided',
      why: '2 task(s) could be its own',
      candidates: ['c1', 'c2'],
    };
    const run = makeRun({ resolver: resolver(undecided).resolver });
    const got = await runRemoteTask(run, makeTask(), prepared());
    expect(got).toMatchObject({ status: 'failed', error: { code: 'SUBMIT_UNCERTAIN' } });
    expect(got.error?.message).toContain('2 task(s) could be its own (candidates: c1, c2)');
    expect(got.error?.hint).toContain('upscale forget');
    expect(names()).toEqual(['submitting', 'uncertain', 'uncertain']);
    const [entry] = await run.ledger!.folder(outDir).entries();
    expect(entry?.entry).toMatchObject({ state: 'uncertain', reason: 'HTTP 502', candidates: ['c1', 'c2'] });
    expect(submits).toHaveBeenCalledTimes(1);
  });

  it("a run killed mid-submit left 'submitting': undecided, it says so as the reason", async () => {
    const run = makeRun({
      resolver: resolver({ kind: 'undecided', why: 'unclear', candidates: [] }).resolver,
    });
    const task = makeTask();
    await slotOf(run, task).write({ state: 'submitting', startedAt: 1000 });
    written = [];
    const got = await runRemoteTask(run, task, prepared());
    expect(got).toMatchObject({ status: 'failed', error: { code: 'SUBMIT_UNCERTAIN' } });
    expect(written).toEqual([{ state: 'uncertain', startedAt: 1000, reason: STOPPED_MID_SUBMIT }]);
    expect(submits).not.toHaveBeenCalled();
  });

  it('a task the provider failed removes its entry', async () => {
    submits.mockResolvedValue({ taskId: 't3', state: queued });
    statuses.mockResolvedValue({ status: 'failed', reason: 'content policy' });
    const run = makeRun();
    const got = await runRemoteTask(run, makeTask(), prepared());
    expect(got).toMatchObject({ status: 'failed', taskId: 't3', error: { code: 'TASK_FAILED' } });
    expect(got.error?.message).toContain('content policy');
    expect(names()).toEqual(['submitting', 'submitted', 'removed']);
  });

  it('a paid task an earlier run recorded is collected, never submitted again', async () => {
    statuses.mockResolvedValue(done(result('t5')));
    const onSubmitted = vi.fn();
    const run = makeRun({ events: { onSubmitted } });
    const task = makeTask();
    await slotOf(run, task).write({ state: 'submitted', taskId: 't5', submittedAt: 1 });
    written = [];
    const got = await runRemoteTask(run, task, prepared());
    expect(got).toMatchObject({ status: 'succeeded', taskId: 't5' });
    expect(submits).not.toHaveBeenCalled();
    expect(statuses).toHaveBeenCalledWith(run.connection, 't5', undefined, expect.anything());
    expect(names()).toEqual(['completed', 'committing', 'removed']);
    expect(onSubmitted).toHaveBeenCalledWith(input, 't5', true);
  });

  it('kept result URLs that expired are asked for fresh ones, once', async () => {
    const fresh = result('fresh');
    statuses.mockResolvedValue(done(fresh));
    const run = makeRun();
    const task = makeTask();
    await slotOf(run, task).write({
      state: 'completed',
      taskId: 't6',
      submittedAt: 1,
      urls: [`${base}/gone.png`],
    });
    written = [];
    const got = await runRemoteTask(run, task, prepared());
    expect(got).toMatchObject({ status: 'succeeded', taskId: 't6' });
    expect(served.get('/gone.png')).toBe(1);
    expect(statuses).toHaveBeenCalledTimes(1);
    expect(written[0]).toEqual({ state: 'completed', taskId: 't6', submittedAt: 1, urls: [fresh] });
    expect(names()).toEqual(['completed', 'committing', 'removed']);
  });

  it("another recipe's pending task is a conflict: nothing is sent and the entry stays", async () => {
    const run = makeRun();
    const task = makeTask();
    await slotOf(run, task, { scale: '4x' }).write({ state: 'submitted', taskId: 't7', submittedAt: 1 });
    written = [];
    const got = await runRemoteTask(run, task, prepared());
    expect(got).toMatchObject({ status: 'failed', error: { code: 'LEDGER_CONFLICT' } });
    expect(got.error?.message).toContain('task t7');
    expect(written).toEqual([]);
    expect((await run.ledger!.folder(outDir).entries()).map((e) => e.entry.state)).toEqual(['submitted']);
    expect(submits).not.toHaveBeenCalled();
  });

  it('a task with two results writes both; the second commit counts the first as in place', async () => {
    const [one, two] = [result('r1'), result('r2')];
    submits.mockResolvedValue({ taskId: 't8', state: done(one, two) });
    const run = makeRun();
    const got = await runRemoteTask(run, makeTask(), prepared());
    expect(got).toMatchObject({ status: 'succeeded', output: join(outDir, 'a@2x.png') });
    expect(names()).toEqual(['submitting', 'submitted', 'completed', 'committing', 'committing', 'removed']);
    expect(written[3]).not.toHaveProperty('written');
    expect(written[4]).toMatchObject({ written: 1, outputPath: join(outDir, 'a@2x-2.png') });
    expect((await readdir(outDir)).filter((n) => !n.startsWith('.')).sort()).toEqual([
      'a@2x-2.png',
      'a@2x.png',
    ]);
  });

  it('a task id the ledger cannot record is said, and the entry stays submitting', async () => {
    submits.mockResolvedValue({ taskId: 't4', state: queued });
    const write = vi.mocked(LedgerFolder.prototype.write).getMockImplementation()!;
    vi.mocked(LedgerFolder.prototype.write).mockImplementation(async function (
      this: LedgerFolder,
      key,
      entry,
    ) {
      if (entry.state === 'submitted') throw new UpscaleError('OUTPUT_UNWRITABLE', 'the disk is full');
      return write.call(this, key, entry);
    });
    const run = makeRun();
    const got = await runRemoteTask(run, makeTask(), prepared());
    expect(got).toMatchObject({ status: 'failed', taskId: 't4', error: { code: 'OUTPUT_UNWRITABLE' } });
    expect(got.error?.message).toContain('task t4 was created (and is paid), but the disk is full');
    expect(got.error?.hint).toContain('upscale download t4');
    expect((await run.ledger!.folder(outDir).entries()).map((e) => e.entry.state)).toEqual(['submitting']);
    expect(statuses).not.toHaveBeenCalled();
  });
});

describe('resumeEntry and downloadById', () => {
  it('resume finds that a lost submit created nothing: NOT_SUBMITTED, the entry goes, nothing is sent', async () => {
    const run = makeRun({ resolver: resolver({ kind: 'none' }).resolver });
    const task = makeTask();
    const slot = slotOf(run, task);
    await slot.write({ state: 'uncertain', startedAt: 5, reason: 'lost' });
    written = [];
    const { image: _image, ...rest } = prepared();
    const got = await resumeEntry(run, task, slot, rest);
    expect(got).toMatchObject({ status: 'failed', error: { code: 'NOT_SUBMITTED' } });
    expect(names()).toEqual(['removed']);
    expect(submits).not.toHaveBeenCalled();
  });

  it('download by id collects a task under the output claim and records nothing', async () => {
    statuses.mockResolvedValue(done(result('byid')));
    const run = makeRun();
    const got = await downloadById(run, makeTask(), 'byid');
    expect(got).toMatchObject({ status: 'succeeded', taskId: 'byid', output: join(outDir, 'a@2x.png') });
    expect(written).toEqual([]);
    expect(statuses).toHaveBeenCalledTimes(1);
  });
});
