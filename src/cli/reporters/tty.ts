/** On a TTY: an ora spinner with the task's state and elapsed time. */
import type { Ora } from 'ora';
import type { TaskResult } from '../../api/results.js';
import { redactAll } from '../secrets.js';
import { palette, restoreTerminalOnExit, type Terminal } from '../terminal.js';
import { describeBudgetWait, describeResult, describeState, seconds } from './describe.js';
import type { BatchProgress, Reporter } from './types.js';

export async function ttyReporter(term: Terminal, verbose: boolean): Promise<Reporter> {
  const { default: ora } = await import('ora');
  const c = palette(term);
  restoreTerminalOnExit(term);
  const spinner: Ora = ora({ stream: term.stderr, color: 'cyan', isEnabled: true, discardStdin: false });
  let label = '';
  let started = 0;
  let state = '';
  let budgetUntil = 0;
  const render = () => {
    const waiting = budgetUntil > Date.now() ? c.yellow(` ${describeBudgetWait(budgetUntil)}`) : '';
    spinner.text = redactAll(
      `${label} ${c.dim(state)}${started ? c.dim(` ${seconds(Date.now() - started)}`) : ''}${waiting}`,
    );
  };
  // Elapsed time moves even between polls.
  const ticker = setInterval(render, 1000);
  ticker.unref();
  const above = (line: string) => {
    spinner.clear();
    term.stderr.write(`${redactAll(line)}\n`);
    spinner.render();
  };
  return {
    events: {
      onStage: (input, stage) => {
        label = input;
        state = stage;
        // The local engine has no submit: its time runs from when it starts working.
        if (stage === 'waiting' && started === 0) started = Date.now();
        if (!spinner.isSpinning) spinner.start();
        render();
      },
      onSubmitted: (_input, taskId, resumed) => {
        started = Date.now();
        state = `${resumed ? 'resumed' : 'submitted'} ${taskId}`;
        render();
      },
      onStatus: (_input, _taskId, s) => {
        state = describeState(s);
        render();
      },
    },
    retry: (e) => {
      if (verbose) above(c.dim(`retrying ${e.url} in ${e.delayMs} ms (${e.reason})`));
    },
    log: (line) => {
      if (verbose) above(c.dim(line));
    },
    warn: (message) => above(`${c.yellow('warning:')} ${message}`),
    note: (message) => above(message),
    data: (line) => {
      if (!term.stdout.isTTY || !spinner.isSpinning) {
        term.stdout.write(`${line}\n`);
        return;
      }
      spinner.clear();
      term.stdout.write(`${line}\n`);
      spinner.render();
    },
    budgetWait: (until) => {
      budgetUntil = until;
      render();
    },
    result: (r: TaskResult, progress: BatchProgress) => {
      const prefix = progress.total > 1 ? `[${progress.done}/${progress.total}] ` : '';
      const text = redactAll(prefix + describeResult(r));
      if (r.status === 'failed') {
        spinner.fail(text);
        if (r.error?.hint) term.stderr.write(`  ${c.dim('hint:')} ${r.error.hint}\n`);
      } else if (r.status === 'skipped') spinner.info(text);
      else spinner.succeed(text);
      started = 0;
    },
    close: () => {
      clearInterval(ticker);
      if (spinner.isSpinning) spinner.stop();
    },
  };
}
