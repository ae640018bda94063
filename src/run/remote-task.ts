/**
 * One input through a remote provider, recorded in the output folder's ledger before every side
 * effect: claim the output, submit (or resolve a lost submit, or pick up a task an earlier run
 * paid for), poll, download, write, and only then forget the entry.
 */
import { basename, extname, join } from 'node:path';
import { stopsSubmitting, UpscaleError } from '../errors.js';
import { extensionsOf, IMAGE_EXTENSIONS } from '../formats.js';
import { redact, withoutCredentials } from '../http/redact.js';
import { downloadToTemp, isExpiredUrlError, maxResultBytes } from '../image/download.js';
import { imageSize } from '../image/finish.js';
import type { TaskState } from '../providers/types.js';
import { storeFor } from '../store/index.js';
import { kindOf } from './duration-model.js';
import { type Claim, ClaimLostError } from './ledger/claim.js';
import { isUnresolved, type LedgerEntry, type LedgerState, sameRecipe, taskIdOf } from './ledger/entry.js';
import { absoluteTarget, hashFile, type LedgerSlot } from './ledger/ledger.js';
import { recipeOutputOf } from './ledger/recipe-task-ids.js';
import {
  type After,
  advance,
  type Committing,
  type Completed,
  isCommitting,
  type LedgerEvent,
  type Paid,
  type Unresolved,
} from './ledger/transitions.js';
import { finalPath, findExistingOutput, type OutputTarget } from './naming.js';
import { keepInvalid, targetOf, type Written, writeOutput } from './output-writer.js';
import { type DurationHints, type FinalState, pollUntilFinal } from './poll.js';
import type { Prepared } from './prepare.js';
import { fetchTaskState, submitTask } from './provider-api.js';
import { recordDownload } from './recipe.js';
import type { Resolution } from './resolve-uncertain.js';
import { PRIORITY } from './status-hub.js';
import { errorOf, type InputTask, type Place, type RemoteRun, type TaskResult } from './task-types.js';

/** Lost submits of one input resolved as "nothing was created" and sent again, at most. */
const MAX_SUBMITS = 4;

/** What one remote input works with: the run, the input's task, its slot in the ledger. */
interface Job {
  readonly run: RemoteRun;
  readonly task: InputTask;
  /** Absent for `upscale download <id>`, which records nothing. */
  readonly slot: LedgerSlot | undefined;
  readonly prepared: Partial<Prepared>;
  /** The task id once one is known, for the result line of a failure. */
  taskId?: string;
  /** API requests spent on this input so far. */
  requests: number;
  /** Given back once the provider has finished the task (see Place). */
  readonly place?: Place | undefined;
  /** The output's claim while this job holds it. */
  claim?: Claim | undefined;
}

/** Counts a request (or a share of one) against the input. */
const spend =
  (job: Job) =>
  (share = 1) => {
    job.requests += share;
  };

/** Request counts are shares of lists too: two decimals are enough for a person. */
const requestsOf = (job: Job) => ({ requests: Math.round(job.requests * 100) / 100 });

const base = (job: Job) => ({ input: job.task.item.input, provider: job.run.connection.provider.id });

async function record(job: Job, state: LedgerState): Promise<void> {
  await job.slot?.write(state);
}

/** The ledger after `event` (see transitions.ts): the next state recorded, or the entry removed. */
async function step<E extends LedgerEvent>(job: Job, from: LedgerState, event: E): Promise<After<E>> {
  const after = advance(from, event);
  if (after === undefined) await job.slot?.remove();
  else await record(job, after);
  return after;
}

/** Sends the submit; one at a time until the provider accepted one (see FirstSubmit). */
function submit(job: Job): Promise<{ state: Paid; first: TaskState } | Unresolved> {
  const gate = job.run.state.submits?.first;
  return gate
    ? gate.through(
        () => sendSubmit(job),
        (sent) => 'first' in sent,
      )
    : sendSubmit(job);
}

/** Sends the submit, writing `submitting` first; a refusal (nothing created) removes the mark. */
async function sendSubmit(job: Job): Promise<{ state: Paid; first: TaskState } | Unresolved> {
  const { run, prepared } = job;
  const { item } = job.task;
  if (run.signal?.aborted) throw new UpscaleError('ABORTED', 'interrupted before submitting');
  // After the provider said the daily limit is reached, nothing more is sent today.
  if (run.state.submits?.stoppedBy) throw run.state.submits.stoppedBy;
  // Paid only under a claim this run still holds (it may have stood still past the lease and
  // been taken over): checked before the entry is written, after it, and as each attempt goes
  // out (the request budget or a backoff may have held it for long).
  await holdClaim(job);
  run.events?.onStage?.(item.input, 'submitting');
  // Should the answer be lost, only tasks listed above this one can be this submit's.
  const newestListed = await run.resolver?.newestBeforeSubmits(() => spend(job)());
  const submitting = advance(undefined, { type: 'submit', startedAt: Date.now(), newestListed });
  await record(job, submitting).catch((error: unknown) => {
    throw notSent(job, error);
  });
  await holdClaim(job);
  const sending = submitTask(
    run.connection,
    prepared.params ?? job.task.params,
    prepared.image!,
    run.submitSignal,
    {
      priority: () => PRIORITY.submit,
      onSent: () => {
        // Synchronous, so only what is known: thrown here, the attempt is not sent.
        if (job.claim && !job.claim.isFresh()) throw new ClaimLostError(item.input);
        // Another input's answer stopped the run while this one waited for the budget.
        if (run.state.submits?.stoppedBy) throw run.state.submits.stoppedBy;
        spend(job)();
      },
    },
  );
  run.state.inflight.add(sending);
  let task: Awaited<typeof sending>;
  try {
    task = await sending;
    if (run.resolver && !run.resolver.hold(task.taskId, true)) throw reusedId(job, task.taskId);
  } catch (error) {
    if (error instanceof ClaimLostError) {
      // Nothing went out on that attempt (earlier ones were refused: they created nothing).
      // Still ours after a fresh look: send again; else the entry is the new holder's to settle.
      if (await job.claim?.confirm()) return sendSubmit(job);
      throw error;
    }
    if (error instanceof UpscaleError && error.code === 'SUBMIT_UNCERTAIN') {
      // The reason is stored in the output folder (which CI caches): never with the key in it.
      const reason = redact(error.message, [run.connection.apiKey]);
      // Unrecorded, the entry stays `submitting`: a lost submit too, looked for the same way.
      return step(job, submitting, { type: 'answerLost', reason });
    }
    // Refused outright: nothing was created. An entry that cannot be removed stays `submitting`,
    // which the next run checks against the task list: the safe side.
    await step(job, submitting, { type: 'refused' }).catch(() => undefined);
    // After a refused key, no credits, a wrong endpoint, a daily quota or a host that cannot be
    // reached, the other inputs are not sent either: each would meet the same answer.
    if (error instanceof UpscaleError && stopsSubmitting(error.code) && run.state.submits)
      run.state.submits.stoppedBy ??= error;
    throw error;
  } finally {
    run.state.inflight.delete(sending);
  }
  // The task exists and is paid from here on: whatever happens to the ledger, the entry stays.
  const state = advance(submitting, { type: 'answered', taskId: task.taskId, submittedAt: Date.now() });
  job.taskId = task.taskId;
  await record(job, state).catch((error: unknown) => {
    throw unrecorded(job, task.taskId, error);
  });
  run.events?.onSubmitted?.(item.input, task.taskId, false);
  return { state, first: task.state };
}

/** The `submitting` mark could not be written: nothing was sent, the folder is named. */
function notSent(job: Job, error: unknown): UpscaleError {
  const cause = error instanceof UpscaleError ? error : undefined;
  return new UpscaleError(
    'OUTPUT_FOLDER_UNWRITABLE',
    `${job.task.item.input}: ${cause?.message ?? String(error)}; nothing was sent`,
    { hint: cause?.hint, cause: error },
  );
}

/**
 * The provider answered with a task id, and the ledger could not record it: the entry keeps its
 * previous state (`submitting`, a lost answer the next run looks for in the task list), and the
 * task id is said so that it can be fetched by hand.
 */
function unrecorded(job: Job, taskId: string, error: unknown): UpscaleError {
  const { item } = job.task;
  const why = error instanceof UpscaleError ? error.message : String(error);
  const output = job.task.plan.target.fixed?.path ?? finalPath(job.task.plan.target, 'png');
  return new UpscaleError(
    'OUTPUT_UNWRITABLE',
    `${item.input}: task ${taskId} was created (and is paid), but ${why}; its entry stays as it was, so nothing is paid again`,
    {
      hint: `${error instanceof UpscaleError && error.hint ? `${error.hint}, then ` : ''}run the same command again to collect it, or \`upscale download ${taskId} -o ${output}\``,
      cause: error,
    },
  );
}

/**
 * A submit answered with a task another input of this run holds (a server reusing ids, a cache in
 * front of the API): that task is not this submit's, whose own may exist. Refused and said; the
 * input goes on as a lost submit, its task looked for in the list.
 */
function reusedId(job: Job, taskId: string): UpscaleError {
  const message = `the submit was answered with task ${taskId}, which another input of this run already has: the answer was refused`;
  job.run.events?.onNotice?.(job.task.item.input, {
    code: 'ANSWER_REFUSED',
    message: `${message}; its own task is looked for in the task list`,
  });
  return new UpscaleError('SUBMIT_UNCERTAIN', message, {
    hint: 'a cache or proxy in front of the API may answer for the wrong task: check --base-url',
  });
}

/** Throws ClaimLostError unless the job's claim is still its own (see runClaimed). */
async function holdClaim(job: Job): Promise<void> {
  if (job.claim && !(await job.claim.confirm())) throw new ClaimLostError(job.task.item.input);
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
  const { run } = job;
  const { item } = job.task;
  const listed = candidates.length > 0 ? ` (candidates: ${candidates.join(', ')})` : '';
  return new UpscaleError(
    'SUBMIT_UNCERTAIN',
    `${item.input}: a submit sent at ${clock(state.startedAt)} UTC may have created a task on ${run.connection.provider.id}, and ${why}${listed}`,
    {
      hint: `look for a task created at that time on the provider's dashboard; \`upscale forget ${item.input}\` and a new run submit again, or --resubmit-uncertain does (either may pay twice)`,
    },
  );
}

/** `upscale resume` found that a lost submit created nothing: there is nothing left to collect. */
function notSubmitted(job: Job): UpscaleError {
  return new UpscaleError(
    'NOT_SUBMITTED',
    `${job.task.item.input}: the task list shows that its lost submit created no task, so nothing is paid or pending`,
    { hint: 'run the command that submitted it again to send it' },
  );
}

/** Asks the task list what became of a lost submit (see resolve-uncertain.ts). */
async function resolveLost(job: Job, state: Unresolved): Promise<Resolution> {
  const { run, slot, prepared } = job;
  const { item } = job.task;
  if (!run.resolver || !slot)
    return { kind: 'undecided', why: 'nothing can look for it here', candidates: [] };
  run.events?.onStage?.(item.input, 'checking');
  const imagePath = item.kind === 'file' ? item.input : prepared.source?.path;
  return run.resolver.resolve(
    {
      key: slot.key,
      input: item.input,
      imagePath,
      startedAt: state.startedAt,
      newestListed: state.newestListed,
      expected: job.task.plan.size?.expected,
      onSent: () => spend(job)(),
    },
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
      const adopted = advance(state, { type: 'found', taskId: resolution.taskId });
      job.taskId = resolution.taskId;
      await record(job, adopted);
      job.run.events?.onSubmitted?.(job.task.item.input, resolution.taskId, true);
      return { state: adopted };
    }
    const again = resolution.kind === 'none' || job.run.resubmitUncertain === true;
    if (again && submits < MAX_SUBMITS) {
      // The entry stays as it is until the new submit's `submitting` replaces it (or, with
      // nothing to send, it is removed above).
      state = advance(state, { type: 'resend' });
      continue;
    }
    const why =
      resolution.kind === 'none' ? `it was sent ${submits} times without an answer` : resolution.why;
    const candidates = resolution.kind === 'undecided' ? resolution.candidates : [];
    await step(job, state, { type: 'undecided', candidates });
    throw uncertainError(job, state, why, candidates);
  }
}

/** The provider's largest output in pixels, when it has one (caps a result of unknown size). */
function maxOutputPixels(run: RemoteRun): number | undefined {
  const { limits } = run.connection.provider;
  return limits.maxOutputPixels ?? (limits.maxOutputSide ? limits.maxOutputSide ** 2 : undefined);
}

/** Like tasks take like times: the model's view of this input's kind, for the poll loop. */
function hintsFor(job: Job, kind: string): DurationHints | undefined {
  const { model, durations } = job.run.state;
  if (!model) return durations;
  return {
    observe: (running, done) => model.observe(kind, running, done),
    nextProbe: (age) => model.nextProbe(kind, age),
  };
}

async function waitForResult(job: Job, taskId: string, submittedAt: number, first: TaskState | undefined) {
  const { run } = job;
  const { item } = job.task;
  if (first?.status === 'failed' || (first?.status === 'succeeded' && first.urls.length > 0))
    return first as FinalState;
  const planned = job.task.plan.size;
  const size = planned?.sent ?? planned?.input;
  const kind = kindOf(
    run.connection.provider,
    job.prepared.params ?? job.task.params,
    size && (size.width * size.height) / 1e6,
  );
  const likelyDone = () => run.state.model?.probabilityDone(kind, Date.now() - submittedAt);
  const { hub, connection } = run;
  return pollUntilFinal({
    taskId,
    submittedAt,
    firstIntervalMs: run.pollIntervalMs,
    // --timeout counts from now: a resumed task gets its full time again.
    deadline: Date.now() + run.timeoutMs,
    // Without a fresh answer to start from (resumed, downloaded by id), ask at once.
    immediate: first === undefined,
    signal: run.signal,
    fetchState: () =>
      hub
        ? hub.fetch(taskId, likelyDone, spend(job), () => job.place?.release())
        : fetchTaskState(connection, taskId, run.signal, { onSent: () => spend(job)() }),
    estimate: hintsFor(job, kind),
    // With batch polls (a task list) asks are shared, so tasks keep their quick beat: the hub
    // spaces the lists. Otherwise each poll costs a request: poll near the predicted end.
    scarce: () => !hub?.listing && (connection.budget?.busy() ?? false),
    askAgainAfterMs: () => hub?.askAgainAfterMs(),
    onState: (state, elapsed) => run.events?.onStatus?.(item.input, taskId, state, elapsed),
  });
}

/** A result URL a task just gave may answer 404 this long while its storage catches up. */
const CDN_LAG_MS = 10_000;

/**
 * Downloads and writes the result URLs from `progress.written` on; the ledger says `committing`
 * before each move into place, and `progress.written` counts the results in place. `fresh`: the
 * task just gave these URLs (a 404 is then storage lagging behind, retried for CDN_LAG_MS; kept
 * URLs of an earlier run are refreshed at once instead).
 */
async function writeResults(
  job: Job,
  task: Completed | Committing,
  progress: { written: number },
  fresh: boolean,
): Promise<Written> {
  const { run, prepared } = job;
  const { item } = job.task;
  const { urls } = task;
  run.events?.onStage?.(item.input, 'downloading');
  // The result line names the first result, also when an earlier run wrote it.
  let first = progress.written > 0 ? await writtenBefore(job) : undefined;
  // The state each result starts from: the task's, then after each result in place.
  let state: Completed | Committing | undefined = task;
  for (const [index, url] of urls.entries()) {
    if (index < progress.written) continue;
    const target = targetOf(job.task.plan.target, index);
    const downloaded = await downloadToTemp(
      run.connection.client,
      url,
      target.fixed?.path ?? finalPath(target, 'out'),
      {
        signal: run.signal,
        deadlineMs: run.timeoutMs,
        keepUndecodable: true,
        // A body longer than a result of the expected size can weigh is cut, not kept.
        maxBytes: maxResultBytes(job.task.plan.size?.expected?.exact, maxOutputPixels(run)),
        lagging404Ms: fresh ? CDN_LAG_MS : 0,
      },
    );
    if (!downloaded.thumbnail) throw await keepInvalid(item, target, downloaded, task.taskId);
    run.events?.onStage?.(item.input, 'writing');
    const from: Completed | Committing = state ?? task;
    let moving: Committing | undefined;
    const commit = async (temp: string, outputPath: string) => {
      moving = advance(moving ?? from, { type: 'commit', temp, outputPath });
      await record(job, moving);
    };
    const written = await writeOutput(run, {
      task: job.task,
      index,
      produced: {
        tempPath: downloaded.tempPath,
        format: downloaded.format,
        size: { width: downloaded.thumbnail.width, height: downloaded.thumbnail.height },
      },
      source: prepared.source,
      taskId: task.taskId,
      inputHash: job.slot?.base.contentHash,
      beforeCommit: commit,
      // The move failed and the verified file was kept aside: the entry names where, for the next run.
      onKept: commit,
    });
    // In place: the next result starts from `completed` with one more written (not recorded: the
    // next `committing` says so), or, after the last, nothing is pending (collectPaid removes it).
    if (moving) state = advance(moving, { type: 'committed' });
    progress.written = index + 1;
    first ??= written;
  }
  if (!first) throw new UpscaleError('EMPTY_RESULT', `${item.input}: task ${task.taskId} gave no result`);
  return first;
}

/** The first result of a task, as an earlier run wrote it (undefined when it is gone). */
async function writtenBefore(job: Job): Promise<Written | undefined> {
  const path = await findExistingOutput(job.task.plan.target);
  const size = path === undefined ? undefined : await imageSize(path);
  return path !== undefined && size ? { path, ...size, warnings: [] } : undefined;
}

/**
 * Polls a paid task to its end and writes its results; the entry goes only once they are in
 * place. `progress.written` results were already written (by an earlier run, or before the URLs
 * expired) and are not written again.
 */
export async function collectPaid(
  job: Job,
  paid: Paid,
  first?: TaskState,
  progress = { written: paid.state === 'submitted' ? 0 : (paid.written ?? 0) },
): Promise<TaskResult> {
  const { run } = job;
  const { item } = job.task;
  let state: Completed | Committing;
  if (paid.state === 'submitted') {
    run.events?.onStage?.(item.input, 'waiting');
    const final = await waitForResult(job, paid.taskId, paid.submittedAt, first);
    if (final.status === 'failed') {
      await step(job, paid, { type: 'taskFailed' });
      throw new UpscaleError(
        'TASK_FAILED',
        `${item.input}: ${final.reason ?? 'the provider reported the task as failed'}`,
        {
          hint: 'try other settings; running again submits (and pays for) a new task',
        },
      );
    }
    state = await step(job, paid, { type: 'finished', urls: final.urls, written: progress.written });
  } else state = paid;
  let written: Written;
  try {
    written = await writeResults(job, state, progress, paid.state === 'submitted');
  } catch (error) {
    // URLs kept from an earlier run may have expired: ask the task for fresh ones, once.
    if (paid.state === 'submitted' || !isExpiredUrlError(error)) throw error;
    return collectPaid(job, advance(paid, { type: 'urlsExpired' }), undefined, progress);
  }
  // Its last result `committed`, nothing is pending: an entry that cannot be removed now says
  // `committing`, which the next start finishes by removing it (its output is there).
  await job.slot?.remove().catch(() => undefined);
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
    `${job.task.item.input}: this output has ${what} pending from another recipe (${entry.provider}, other parameters or another version of the input)`,
    {
      hint: `\`upscale resume\` collects it; \`upscale forget ${id ?? job.task.item.input}\` drops it (it stays paid); --name keeps both`,
    },
  );
}

/**
 * An output another run committed while this one waited for its claim. Under --overwrite only a
 * file written since this run started counts: two copies of one --overwrite command pay once.
 */
async function committedMeanwhile(job: Job): Promise<string | undefined> {
  const { plan } = job.task;
  const existing = await findExistingOutput(plan.target);
  if (!existing || !plan.replace) return existing;
  const written = (await storeFor(plan.target.dir).modifiedAt(existing)) ?? 0;
  return job.run.runStartedAt !== undefined && written >= job.run.runStartedAt ? existing : undefined;
}

async function underClaim(job: Job): Promise<TaskResult> {
  const { slot } = job;
  let entry = await slot?.read();
  if (entry && job.slot && !sameRecipe(entry, job.slot.base)) throw conflict(job, entry);
  if (!entry) {
    const existing = await committedMeanwhile(job);
    if (existing) return { ...base(job), status: 'skipped', output: existing };
  }
  if (isCommitting(entry) && slot) {
    job.taskId = entry.taskId;
    // A kept result that still cannot take its name fails here, saying where it is: not downloaded again.
    const left = await slot.folder.finishCommit(slot.key, entry);
    if (!left) return { ...base(job), taskId: entry.taskId, status: 'succeeded', output: entry.outputPath };
    entry = left;
  }
  if (entry && !isUnresolved(entry)) {
    job.run.resolver?.hold(entry.taskId);
    job.taskId = entry.taskId;
    job.run.events?.onSubmitted?.(job.task.item.input, entry.taskId, true);
  }
  const { state, first } = await obtainTask(job, entry);
  return collectPaid(job, state, first);
}

/**
 * Runs a job under its output's claim: every failure becomes a result line, the claim is let go.
 * A job that lost its claim before paying waits for it again, as a second run would, and then
 * finds the output written or the task to collect.
 */
async function runClaimed(job: Job): Promise<TaskResult> {
  const { run, slot } = job;
  const { item } = job.task;
  try {
    for (;;) {
      job.claim = await slot?.claim({
        input: item.input,
        signal: run.signal,
        onWait: (holder) => run.events?.onWaitingForOtherRun?.(item.input, holder),
      });
      try {
        return await underClaim(job);
      } catch (error) {
        if (!(error instanceof ClaimLostError)) throw error;
      } finally {
        await job.claim?.release();
        job.claim = undefined;
      }
    }
  } catch (error) {
    const { taskId } = job;
    return {
      ...base(job),
      ...requestsOf(job),
      status: 'failed',
      ...(taskId ? { taskId } : {}),
      error: errorOf(error),
    };
  }
}

/** Runs one prepared input against its provider, under the output's claim. */
export async function runRemoteTask(
  run: RemoteRun,
  task: InputTask,
  prepared: Prepared,
  place?: Place,
): Promise<TaskResult> {
  const { item, plan } = task;
  if (!run.ledger) return runClaimed({ run, task, slot: undefined, prepared, requests: 0, place });
  // Hashed before the bytes were read to send (see prepare): the recipe says what was sent.
  const contentHash = item.kind === 'file' ? (prepared.inputHash ?? (await hashFile(item.input))) : undefined;
  const recipe = {
    provider: run.connection.provider.id,
    // Stored in the output folder: a proxy's `user:pass@` stays out of it.
    baseUrl: withoutCredentials(run.connection.baseUrl),
    params: prepared.params,
    ...(contentHash ? { contentHash } : {}),
  };
  const extra = {
    ...(task.output ? { output: task.output } : {}),
    overwrite: plan.replace,
  };
  // The ledger records the planned target (its format decided from the content under --format keep).
  const slot = run.ledger.slot({ ...item, target: plan.target }, recipe, extra);
  return runClaimed({ run, task, slot, prepared, requests: 0, place });
}

/**
 * `upscale resume`: collects the task of an entry read back from a ledger, with the entry's own
 * recipe. A lost submit is looked for in the task list, never sent again from here.
 */
export function resumeEntry(
  run: RemoteRun,
  task: InputTask,
  slot: LedgerSlot,
  prepared: Partial<Prepared>,
): Promise<TaskResult> {
  const { image: _never, ...rest } = prepared;
  return runClaimed({ run, task, slot, prepared: rest, requests: 0 });
}

/** `x-2.png` of `-o x.png` (or of the name `target` gives): where a result goes when the name is taken. */
function isNumberedSibling(target: OutputTarget, name: string): boolean {
  const literal = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const exts = target.fixed
    ? [extname(target.fixed.path).slice(1)]
    : target.format
      ? extensionsOf(target.format)
      : IMAGE_EXTENSIONS;
  const pattern = `^${literal(target.stem)}-[0-9]+\\.(${exts.map(literal).join('|')})$`;
  return new RegExp(pattern, 'i').test(name);
}

/**
 * The output already at the target for `upscale download <task-id>`: one written since `since`
 * (ms), which another run finished meanwhile, or one whose recipe records this very task (a run,
 * or the same download, wrote it before): either way it is not written again as a `-2` copy. The
 * recorded name may be a numbered one (`x-2.png`: `x.png` was another task's result). Under
 * --overwrite only the first counts: the download is asked to be done again.
 */
async function alreadyWritten(
  job: Job,
  since: number,
  ledgerDir: string,
  taskId: string,
): Promise<string | undefined> {
  const { target } = job.task.plan;
  const store = storeFor(target.dir);
  const existing = await findExistingOutput(target);
  if (existing !== undefined && ((await store.modifiedAt(existing)) ?? 0) >= since) return existing;
  // --overwrite redoes what an earlier run or download wrote (as the skipped line says it would).
  if (job.task.overwrite) return undefined;
  const recorded = await recipeOutputOf(ledgerDir, taskId).catch(() => undefined);
  if (recorded === undefined) return undefined;
  if (existing !== undefined && basename(recorded) === basename(existing)) return existing;
  if (!isNumberedSibling(target, recorded)) return undefined;
  const path = join(target.dir, recorded);
  return (await store.targetKindOf(path)) === 'file' ? path : undefined;
}

/** The output `upscale download` found already written: skipped, named as when it was written. */
async function skippedAt(job: Job, output: string): Promise<TaskResult> {
  const size = await imageSize(output);
  return { ...base(job), status: 'skipped', output, ...(size ?? {}) };
}

/**
 * Records the task that wrote a downloaded output (see recordDownload), under the key of the name
 * it took: the target's own, or its numbered one's. Like a run's recipe, one that cannot be
 * written does not fail the output (the same download again would then write a `-2` copy).
 */
async function recordDownloaded(task: InputTask, result: TaskResult, taskId: string): Promise<void> {
  if (result.status !== 'succeeded') return;
  const { target } = task.plan;
  const own = basename(finalPath(target, extname(result.output).slice(1))) === basename(result.output);
  const named = own ? target : { dir: target.dir, stem: basename(result.output, extname(result.output)) };
  await recordDownload(named, result.output, taskId, result.provider).catch(() => undefined);
}

/**
 * `upscale download <task-id>`: polls a task by id and writes its result. With a ledger it first
 * claims the output, like any run: a run collecting the same output is waited for (then its
 * output is there, and nothing is written twice), and an entry of that very task is collected
 * through it (and goes once written). What it wrote is recorded beside the recipes (the task and
 * the name), so the same download again is skipped; no ledger entry is made.
 */
export async function downloadById(run: RemoteRun, task: InputTask, taskId: string): Promise<TaskResult> {
  const { ledger } = run;
  const { item } = task;
  const startedAt = Date.now();
  const folder = ledger?.folder(absoluteTarget(item.target, ledger.cwd).dir);
  const key = ledger?.keyOf(item.target);
  let job: Job = { run, task, slot: undefined, prepared: {}, taskId, requests: 0 };
  let claim: Claim | undefined;
  const written = async (result: TaskResult) => {
    await recordDownloaded(task, result, taskId);
    return result;
  };
  try {
    run.events?.onSubmitted?.(item.input, taskId, true);
    const fresh = advance(undefined, { type: 'known', taskId, submittedAt: Date.now() });
    if (!ledger || !folder || key === undefined) return await collectPaid(job, fresh);
    claim = await folder.claim(key, {
      input: item.input,
      signal: run.signal,
      onWait: (holder) => run.events?.onWaitingForOtherRun?.(item.input, holder),
    });
    job = { ...job, claim };
    const entry = await folder.read(key);
    if (!entry) {
      const existing = await alreadyWritten(job, startedAt, folder.dir, taskId);
      if (existing) return await skippedAt(job, existing);
      return await written(await collectPaid(job, fresh));
    }
    if (taskIdOf(entry) !== taskId || isUnresolved(entry))
      return await written(await collectPaid(job, fresh));
    // That very task is pending here: collected through its entry, which goes once it is written.
    job = { ...job, slot: ledger.slotOf(folder, key, entry) };
    if (!isCommitting(entry)) return await written(await collectPaid(job, entry));
    const left = await folder.finishCommit(key, entry);
    if (!left) return await written({ ...base(job), taskId, status: 'succeeded', output: entry.outputPath });
    return await written(await collectPaid(job, isUnresolved(left) ? fresh : left));
  } catch (error) {
    return { ...base(job), taskId, status: 'failed', error: errorOf(error) };
  } finally {
    await claim?.release();
    await folder?.removeIfEmpty();
  }
}
