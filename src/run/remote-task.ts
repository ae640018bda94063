/**
 * One input through a remote provider, recorded in the output folder's ledger before every side
 * effect: claim the output, submit (or resolve a lost submit, or pick up a task an earlier run
 * paid for), poll, download, write, and only then forget the entry.
 */
import { stat } from 'node:fs/promises';
import { UpscaleError } from '../errors.js';
import { downloadToTemp, isExpiredUrlError } from '../image/download.js';
import type { TaskState } from '../providers/types.js';
import { kindOf } from './duration-model.js';
import type { Claim } from './ledger/claim.js';
import { isUnresolved, type LedgerEntry, type LedgerState, sameRecipe, taskIdOf } from './ledger/entry.js';
import { hashFile, type LedgerSlot } from './ledger/ledger.js';
import { finalPath, findExistingOutput } from './naming.js';
import { keepInvalid, targetOf, type Written, writeOutput } from './output-writer.js';
import { type DurationHints, type FinalState, pollUntilFinal } from './poll.js';
import type { Prepared } from './prepare.js';
import { fetchTaskState, submitTask } from './provider-api.js';
import type { Resolution } from './resolve-uncertain.js';
import { PRIORITY } from './status-hub.js';
import { errorOf, type InputItem, type Place, type TaskResult, type TaskSettings } from './task-types.js';

/** Lost submits of one input resolved as "nothing was created" and sent again, at most. */
const MAX_SUBMITS = 4;

type Unresolved = Extract<LedgerState, { startedAt: number }>;
type Paid = Extract<LedgerState, { taskId: string }>;

/** What one remote input works with: the settings, the item, its slot in the ledger. */
interface Job {
  readonly s: TaskSettings;
  readonly item: InputItem;
  /** Absent for `upscale download <id>`, which records nothing. */
  readonly slot: LedgerSlot | undefined;
  readonly prepared: Partial<Prepared>;
  /** The task id once one is known, for the result line of a failure. */
  taskId?: string;
  /** API requests spent on this input so far. */
  requests: number;
  /** Given back once the provider has finished the task (see Place). */
  readonly place?: Place | undefined;
}

/** Counts a request (or a share of one) against the input. */
const spend =
  (job: Job) =>
  (share = 1) => {
    job.requests += share;
  };

/** Request counts are shares of lists too: two decimals are enough for a person. */
const requestsOf = (job: Job) => ({ requests: Math.round(job.requests * 100) / 100 });

const base = (job: Job) => ({ input: job.item.input, provider: job.s.connection.provider.id });

async function record(job: Job, state: LedgerState): Promise<void> {
  await job.slot?.write(state);
}

/** Sends the submit, writing `submitting` first; a refusal (nothing created) removes the mark. */
async function submit(job: Job): Promise<{ state: Paid; first: TaskState } | Unresolved> {
  const { s, item, prepared } = job;
  if (s.signal?.aborted) throw new UpscaleError('ABORTED', 'interrupted before submitting');
  // After the provider said the daily limit is reached, nothing more is sent today.
  if (s.quota?.reached) throw s.quota.reached;
  s.events?.onStage?.(item.input, 'submitting');
  const startedAt = Date.now();
  await record(job, { state: 'submitting', startedAt });
  const sending = submitTask(s.connection, prepared.params ?? s.params, prepared.image!, s.submitSignal, {
    priority: () => PRIORITY.submit,
    onSent: () => spend(job)(),
  });
  s.inflight?.add(sending);
  try {
    const task = await sending;
    const state: Paid = { state: 'submitted', taskId: task.taskId, submittedAt: Date.now() };
    job.taskId = task.taskId;
    await record(job, state);
    s.events?.onSubmitted?.(item.input, task.taskId, false);
    return { state, first: task.state };
  } catch (error) {
    if (error instanceof UpscaleError && error.code === 'SUBMIT_UNCERTAIN') {
      const state: Unresolved = { state: 'uncertain', startedAt, reason: error.message };
      await record(job, state);
      return state;
    }
    await job.slot?.remove();
    // After a daily quota, or a host that cannot be reached, the other inputs are not sent either.
    if (
      error instanceof UpscaleError &&
      (error.code === 'DAILY_LIMIT' || error.code === 'UNREACHABLE') &&
      s.quota
    )
      s.quota.reached = error;
    throw error;
  } finally {
    s.inflight?.delete(sending);
  }
}

function clock(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').slice(0, 19);
}

function uncertainError(
  job: Job,
  state: Unresolved,
  why: string,
  candidates: readonly string[],
): UpscaleError {
  const { item, s } = job;
  const listed = candidates.length > 0 ? ` (candidates: ${candidates.join(', ')})` : '';
  return new UpscaleError(
    'SUBMIT_UNCERTAIN',
    `${item.input}: a submit sent at ${clock(state.startedAt)} UTC may have created a task on ${s.connection.provider.id}, and ${why}${listed}`,
    {
      hint: `look for a task created at that time on the provider's dashboard; \`upscale forget ${item.input}\` and a new run submit again, or --resubmit-uncertain does (either may pay twice)`,
    },
  );
}

/** `upscale resume` found that a lost submit created nothing: there is nothing left to collect. */
function notSubmitted(job: Job): UpscaleError {
  return new UpscaleError(
    'NOT_SUBMITTED',
    `${job.item.input}: the task list shows that its lost submit created no task, so nothing is paid or pending`,
    { hint: 'run the command that submitted it again to send it' },
  );
}

/** Asks the task list what became of a lost submit (see resolve-uncertain.ts). */
async function resolveLost(job: Job, state: Unresolved): Promise<Resolution> {
  const { s, item, slot, prepared } = job;
  if (!s.resolver || !slot) return { kind: 'undecided', why: 'nothing can look for it here', candidates: [] };
  s.events?.onStage?.(item.input, 'checking');
  const imagePath = item.kind === 'file' ? item.input : prepared.source?.path;
  return s.resolver.resolve(
    { key: slot.key, input: item.input, imagePath, startedAt: state.startedAt, onSent: () => spend(job)() },
    slot.folder.outputDir,
  );
}

/** From no entry (or a lost submit) to a task id, without ever sending twice on a guess. */
async function obtainTask(
  job: Job,
  known: LedgerEntry | undefined,
): Promise<{ state: Paid; first?: TaskState }> {
  let state: LedgerState | undefined = known;
  for (let submits = 0; ; ) {
    if (state === undefined) {
      if (!job.prepared.image) {
        await job.slot?.remove();
        throw notSubmitted(job);
      }
      submits++;
      const sent = await submit(job);
      if ('first' in sent) return sent;
      state = sent;
    }
    if (!isUnresolved(state)) return { state };
    const resolution = await resolveLost(job, state);
    if (resolution.kind === 'found') {
      const adopted: Paid = { state: 'submitted', taskId: resolution.taskId, submittedAt: state.startedAt };
      job.taskId = resolution.taskId;
      await record(job, adopted);
      job.s.events?.onSubmitted?.(job.item.input, resolution.taskId, true);
      return { state: adopted };
    }
    const again = resolution.kind === 'none' || job.s.resubmitUncertain === true;
    if (again && submits < MAX_SUBMITS) {
      state = undefined;
      continue;
    }
    const why =
      resolution.kind === 'none' ? `it was sent ${submits} times without an answer` : resolution.why;
    const candidates = resolution.kind === 'undecided' ? resolution.candidates : [];
    const reason =
      state.state === 'uncertain' ? state.reason : 'a run stopped while its submit was in flight';
    await record(job, {
      state: 'uncertain',
      startedAt: state.startedAt,
      reason,
      ...(candidates.length > 0 ? { candidates } : {}),
    });
    throw uncertainError(job, state, why, candidates);
  }
}

/** Like tasks take like times: the model's view of this input's kind, for the poll loop. */
function hintsFor(job: Job, kind: string): DurationHints | undefined {
  const model = job.s.model;
  if (!model) return job.s.durations;
  return {
    observe: (running, done) => model.observe(kind, running, done),
    nextProbe: (age) => model.nextProbe(kind, age),
  };
}

async function waitForResult(job: Job, taskId: string, submittedAt: number, first: TaskState | undefined) {
  const { s, item } = job;
  if (first?.status === 'failed' || (first?.status === 'succeeded' && first.urls.length > 0))
    return first as FinalState;
  const size = job.prepared.sizing?.send ?? job.prepared.size;
  const kind = kindOf(
    s.connection.provider.id,
    job.prepared.params ?? s.params,
    size && (size.width * size.height) / 1e6,
  );
  const likelyDone = () => s.model?.probabilityDone(kind, Date.now() - submittedAt);
  const { hub, connection } = s;
  return pollUntilFinal({
    taskId,
    submittedAt,
    firstIntervalMs: s.pollIntervalMs,
    // --timeout counts from now: a resumed task gets its full time again.
    deadline: Date.now() + s.timeoutMs,
    // Without a fresh answer to start from (resumed, downloaded by id), ask at once.
    immediate: first === undefined,
    signal: s.signal,
    fetchState: () =>
      hub
        ? hub.fetch(taskId, likelyDone, spend(job), () => job.place?.release())
        : fetchTaskState(connection, taskId, s.signal, { onSent: () => spend(job)() }),
    estimate: hintsFor(job, kind),
    // With batch polls (a task list) asks are shared, so tasks keep their quick beat: the hub
    // spaces the lists. Otherwise each poll costs a request: poll near the predicted end.
    scarce: () => !hub?.listing && (connection.budget?.busy() ?? false),
    askAgainAfterMs: () => hub?.askAgainAfterMs(),
    onState: (state, elapsed) => s.events?.onStatus?.(item.input, taskId, state, elapsed),
  });
}

/** Downloads and writes every result URL; the ledger says `committing` before each move into place. */
async function writeResults(job: Job, task: Paid, urls: readonly string[]): Promise<Written> {
  const { s, item, prepared } = job;
  s.events?.onStage?.(item.input, 'downloading');
  let first: Written | undefined;
  for (const [index, url] of urls.entries()) {
    const target = targetOf(item, index);
    const downloaded = await downloadToTemp(
      s.connection.client,
      url,
      target.fixed?.path ?? finalPath(target, 'out'),
      {
        signal: s.signal,
        deadlineMs: s.timeoutMs,
        keepUndecodable: true,
      },
    );
    if (!downloaded.thumbnail) throw await keepInvalid(item, downloaded, task.taskId);
    s.events?.onStage?.(item.input, 'writing');
    const written = await writeOutput(s, {
      item,
      index,
      produced: {
        tempPath: downloaded.tempPath,
        format: downloaded.format,
        size: { width: downloaded.thumbnail.width, height: downloaded.thumbnail.height },
      },
      source: prepared.source,
      expected: prepared.expected,
      beforeCommit: (temp, outputPath) =>
        record(job, { ...task, state: 'committing', urls, temp, outputPath, submittedAt: task.submittedAt }),
    });
    first ??= written;
  }
  if (!first) throw new UpscaleError('EMPTY_RESULT', `${item.input}: task ${task.taskId} gave no result`);
  return first;
}

/** Polls a paid task to its end and writes its result; the entry goes only once the output is in place. */
export async function collectPaid(job: Job, paid: Paid, first?: TaskState): Promise<TaskResult> {
  const { s, item } = job;
  let urls: readonly string[];
  let state = paid;
  if (state.state === 'submitted') {
    s.events?.onStage?.(item.input, 'waiting');
    const final = await waitForResult(job, state.taskId, state.submittedAt, first);
    if (final.status === 'failed') {
      await job.slot?.remove();
      throw new UpscaleError(
        'TASK_FAILED',
        `${item.input}: ${final.reason ?? 'the provider reported the task as failed'}`,
        {
          hint: 'try other settings; running again submits (and pays for) a new task',
        },
      );
    }
    urls = final.urls;
    state = { state: 'completed', taskId: state.taskId, submittedAt: state.submittedAt, urls };
    await record(job, state);
  } else urls = state.urls;
  let written: Written;
  try {
    written = await writeResults(job, state, urls);
  } catch (error) {
    // URLs kept from an earlier run may have expired: ask the task for fresh ones, once.
    if (paid.state === 'submitted' || !isExpiredUrlError(error)) throw error;
    return collectPaid(job, { state: 'submitted', taskId: paid.taskId, submittedAt: paid.submittedAt });
  }
  await job.slot?.remove();
  return {
    ...base(job),
    ...requestsOf(job),
    taskId: state.taskId,
    status: 'succeeded',
    output: written.path,
    width: written.width,
    height: written.height,
    ...(written.warnings.length > 0 ? { warnings: written.warnings } : {}),
  };
}

function conflict(job: Job, entry: LedgerEntry): UpscaleError {
  const id = taskIdOf(entry);
  const what = id
    ? `task ${id}`
    : `a submit sent at ${'startedAt' in entry ? clock(entry.startedAt) : '?'} UTC`;
  return new UpscaleError(
    'LEDGER_CONFLICT',
    `${job.item.input}: this output has ${what} pending from another recipe (${entry.provider}, other parameters or another version of the input)`,
    {
      hint: `\`upscale resume\` collects it; \`upscale forget ${id ?? job.item.input}\` drops it (it stays paid); --name keeps both`,
    },
  );
}

/**
 * An output another run committed while this one waited for its claim. Under --overwrite only a
 * file written since this run started counts: two copies of one --overwrite command pay once.
 */
async function committedMeanwhile(job: Job): Promise<string | undefined> {
  const existing = await findExistingOutput(job.item.target);
  if (!existing || !(job.s.overwrite || job.item.replace)) return existing;
  const written = await stat(existing).then(
    (s) => s.mtimeMs,
    () => 0,
  );
  return job.s.runStartedAt !== undefined && written >= job.s.runStartedAt ? existing : undefined;
}

async function underClaim(job: Job): Promise<TaskResult> {
  const { slot } = job;
  const entry = await slot?.read();
  if (entry && job.slot && !sameRecipe(entry, job.slot.base)) throw conflict(job, entry);
  if (!entry) {
    const existing = await committedMeanwhile(job);
    if (existing) return { ...base(job), status: 'skipped', output: existing };
  }
  if (entry?.state === 'committing' && slot && (await slot.folder.finishCommit(slot.key, entry))) {
    return { ...base(job), taskId: entry.taskId, status: 'succeeded', output: entry.outputPath };
  }
  if (entry && !isUnresolved(entry)) {
    job.taskId = entry.taskId;
    job.s.events?.onSubmitted?.(job.item.input, entry.taskId, true);
  }
  const { state, first } = await obtainTask(job, entry);
  return collectPaid(job, state, first);
}

/** Runs a job under its output's claim: every failure becomes a result line, the claim is let go. */
async function runClaimed(job: Job): Promise<TaskResult> {
  const { s, item, slot } = job;
  let claim: Claim | undefined;
  try {
    claim = await slot?.claim({
      input: item.input,
      signal: s.signal,
      onWait: (holder) => s.events?.onWaitingForOtherRun?.(item.input, holder),
    });
    return await underClaim(job);
  } catch (error) {
    const { taskId } = job;
    return {
      ...base(job),
      ...requestsOf(job),
      status: 'failed',
      ...(taskId ? { taskId } : {}),
      error: errorOf(error),
    };
  } finally {
    await claim?.release();
  }
}

/** Runs one prepared input against its provider, under the output's claim. */
export async function runRemoteTask(
  s: TaskSettings,
  item: InputItem,
  prepared: Prepared,
  place?: Place,
): Promise<TaskResult> {
  if (!s.ledger) return runClaimed({ s, item, slot: undefined, prepared, requests: 0, place });
  const contentHash = item.kind === 'file' ? await hashFile(item.input) : undefined;
  const recipe = {
    provider: s.connection.provider.id,
    baseUrl: s.connection.baseUrl,
    params: prepared.params,
    ...(contentHash ? { contentHash } : {}),
  };
  const extra = {
    ...(s.output ? { output: s.output } : {}),
    overwrite: s.overwrite || Boolean(item.replace),
  };
  return runClaimed({ s, item, slot: s.ledger.slot(item, recipe, extra), prepared, requests: 0, place });
}

/**
 * `upscale resume`: collects the task of an entry read back from a ledger, with the entry's own
 * recipe. A lost submit is looked for in the task list, never sent again from here.
 */
export function resumeEntry(
  s: TaskSettings,
  item: InputItem,
  slot: LedgerSlot,
  prepared: Partial<Prepared>,
): Promise<TaskResult> {
  const { image: _never, ...rest } = prepared;
  return runClaimed({ s, item, slot, prepared: rest, requests: 0 });
}

/** `upscale download <task-id>`: polls a task by id and writes its result; nothing is recorded. */
export async function downloadById(s: TaskSettings, item: InputItem, taskId: string): Promise<TaskResult> {
  const job: Job = { s, item, slot: undefined, prepared: {}, taskId, requests: 0 };
  try {
    s.events?.onSubmitted?.(item.input, taskId, true);
    return await collectPaid(job, { state: 'submitted', taskId, submittedAt: Date.now() });
  } catch (error) {
    return { ...base(job), taskId, status: 'failed', error: errorOf(error) };
  }
}
