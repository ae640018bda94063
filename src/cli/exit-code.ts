/** The one place that decides the exit code (docs/cli.md). */

import type { TaskResult } from '../api/results.js';
import { isRefusedBeforeSending } from '../errors.js';

export const EXIT = { ok: 0, failed: 1, usage: 2, hangup: 129, interrupted: 130, stdoutClosed: 141 } as const;

/** Why a run stopped before its end: a signal, or stdout's reader gone (EPIPE). */
export type StopReason = 'SIGINT' | 'SIGTERM' | 'SIGHUP' | 'stdout';

/** The exit code of a run stopped so (128 + the signal's number, as shells report it; SIGTERM as Ctrl-C). */
export const STOP_EXIT: Readonly<Record<StopReason, number>> = {
  SIGINT: EXIT.interrupted,
  SIGTERM: EXIT.interrupted,
  SIGHUP: EXIT.hangup,
  stdout: EXIT.stdoutClosed,
};

/**
 * 0: every input succeeded, was skipped, or (dry run) passed its checks; 2: nothing was sent —
 * every input was refused before anything went out (docs/cli.md, exit codes); 1: some input failed, a
 * refused key, no credits or a wrong endpoint included (the request that learnt it was sent);
 * 130: interrupted.
 */
export function exitCodeFor(results: readonly TaskResult[], interrupted: boolean): number {
  if (interrupted) return EXIT.interrupted;
  const failed = results.filter((r) => r.status === 'failed');
  if (failed.length === 0) return EXIT.ok;
  // A dry run that finds outputs of another recipe: the real run would be refused (exit 2).
  if (failed.some((r) => r.error?.code === 'RECIPE_CONFLICT')) return EXIT.usage;
  // A failure with a task id was sent (and paid): only inputs that never reached a provider count.
  const allRefused =
    failed.length === results.length &&
    failed.every((r) => isRefusedBeforeSending(r.error?.code ?? '') && r.taskId === undefined);
  return allRefused ? EXIT.usage : EXIT.failed;
}
