/**
 * One input from start to finish: skip it when its output exists, pre-check it, then hand it to
 * its backend — a remote provider (ledger, submit, poll, download) or the local engine — whose
 * result goes through the one output writer. Reports through callbacks; never throws.
 */
import { UpscaleError } from '../errors.js';
import { imageSize } from '../image/finish.js';
import { type AnyProvider, isLocalProvider } from '../providers/types.js';
import { findExistingOutput } from './naming.js';
import { type Prepared, planned, prepare, withContentFormat } from './prepare.js';
import { runRemoteTask } from './remote-task.js';
import { errorOf, type InputItem, type TaskResult, type TaskSettings } from './task-types.js';

export * from './task-types.js';

/** What produces an input's result: the seam under the run. */
export interface Backend {
  run(s: TaskSettings, item: InputItem, prepared: Prepared): Promise<TaskResult>;
}

const remoteBackend: Backend = { run: runRemoteTask };

export function backendOf(provider: AnyProvider): Backend {
  if (!isLocalProvider(provider)) return remoteBackend;
  return {
    run: async (s, item, prepared) => {
      const { runLocalTask } = await import('./run-local.js');
      return runLocalTask(s, provider, item, prepared);
    },
  };
}

async function skipIfDone(s: TaskSettings, item: InputItem): Promise<TaskResult | undefined> {
  if (s.overwrite) return undefined;
  const existing = await findExistingOutput(item.target, s.listings);
  if (!existing) return undefined;
  const size = await imageSize(existing);
  if (!size) {
    throw new UpscaleError('OUTPUT_CLASH', `${existing} exists but is not a readable image`, {
      hint: 'remove it, or pass --overwrite to replace it',
    });
  }
  return {
    input: item.input,
    status: 'skipped',
    provider: s.connection.provider.id,
    output: existing,
    ...size,
  };
}

export async function runTask(s: TaskSettings, given: InputItem): Promise<TaskResult> {
  const base = { input: given.input, provider: s.connection.provider.id };
  let prepared: Prepared | undefined;
  try {
    const item = await withContentFormat(s, given);
    const skipped = await skipIfDone(s, item);
    if (skipped) return skipped;
    s.events?.onStage?.(item.input, 'checking');
    prepared = await prepare(s, item);
    if (s.dryRun) return planned(s, item, prepared);
    return await backendOf(s.connection.provider).run(s, item, prepared);
  } catch (error) {
    return { ...base, status: 'failed', error: errorOf(error) };
  } finally {
    await prepared?.cleanup();
  }
}
