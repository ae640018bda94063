/** Off a TTY (CI, pipes, --quiet): one plain line per event on stderr. */
import type { RetryEvent, TaskResult } from '../../api/results.js';
import { redactAll } from '../secrets.js';
import { palette, type Terminal } from '../terminal.js';
import {
  BUDGET_WAIT_WORTH_SAYING_MS,
  describeBudgetWait,
  describeResult,
  describeState,
  seconds,
} from './describe.js';
import type { BatchProgress, Reporter } from './types.js';

/** A retry wait this long is said without --verbose. */
const LONG_RETRY_MS = 10_000;

export interface PlainOptions {
  readonly quiet: boolean;
  readonly verbose: boolean;
}

export function plainReporter(term: Terminal, options: PlainOptions): Reporter {
  const c = palette(term);
  const say = (line: string) => term.stderr.write(`${redactAll(line)}\n`);
  const progressSay = (line: string) => {
    if (!options.quiet) say(line);
  };
  const lastState = new Map<string, string>();
  let saidWaitAt = 0;
  return {
    events: {
      onStage: (input, stage) => {
        if (stage !== 'waiting') progressSay(`${input}: ${stage}`);
      },
      onSubmitted: (input, taskId, resumed) =>
        progressSay(`${input}: ${resumed ? 'resuming' : 'submitted'} task ${taskId}`),
      onStatus: (input, _taskId, state, elapsed) => {
        // A line per change of state, not per poll, so CI logs stay short.
        const text = describeState(state);
        if (lastState.get(input) === text) return;
        lastState.set(input, text);
        progressSay(`${input}: ${text} after ${seconds(elapsed)}`);
      },
    },
    retry: (e: RetryEvent) => {
      if (options.verbose)
        say(c.dim(`retrying ${e.url} in ${e.delayMs} ms (${e.reason}, attempt ${e.attempt})`));
      // A long wait is said even without --verbose: a CI log that stops for two minutes says why.
      else if (e.delayMs >= LONG_RETRY_MS)
        progressSay(
          `waiting ${Math.round(e.delayMs / 1000)} s before asking ${URL.canParse(e.url) ? new URL(e.url).host : e.url} again (${e.reason})`,
        );
    },
    log: (line) => {
      if (options.verbose) say(c.dim(line));
    },
    warn: (message) => say(`${c.yellow('warning:')} ${message}`),
    note: (message) => say(message),
    data: (line) => term.stdout.write(`${line}\n`),
    budgetWait: (until) => {
      // A line per long wait, at most one every 30 s, so CI logs stay short.
      const now = Date.now();
      if (until - now < BUDGET_WAIT_WORTH_SAYING_MS || now - saidWaitAt < 30_000) return;
      saidWaitAt = now;
      progressSay(describeBudgetWait(until));
    },
    result: (r: TaskResult, progress: BatchProgress) => {
      const prefix = progress.total > 1 ? `[${progress.done}/${progress.total}] ` : '';
      if (r.status === 'failed' && progress.sameCause) return;
      if (r.status === 'failed') {
        say(`${prefix}${c.red('failed:')} ${describeResult(r)}`);
        if (r.error?.hint) say(`  ${c.dim('hint:')} ${r.error.hint}`);
        if (options.verbose && r.error?.requestId) say(`  ${c.dim('request id:')} ${r.error.requestId}`);
      } else progressSay(prefix + describeResult(r));
    },
    close: () => undefined,
  };
}
